"""The generator's laundering scenarios: each appears when asked for and
never otherwise, an episode pays in one currency, its intermediaries pass
on no more than they got, and the slow ones take days."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from transactions_app.simulation.laundering import LAUNDERING_SCENARIOS
from transactions_app.simulation.realistic import RealisticProfile, rate_for_accounts

START = datetime(2026, 3, 1, tzinfo=UTC)


def episodes(laundering_share: float, count: int = 60_000) -> dict[str, list]:
    """The laundering episodes of 30 days of 1,000 people's payments."""
    profile = RealisticProfile(
        seed=5,
        start=START,
        rate=rate_for_accounts(1000),
        accounts=1000,
        laundering_share=laundering_share,
    )
    found = defaultdict(list)
    for _ in range(count):
        item = profile()
        if item.label in LAUNDERING_SCENARIOS:
            found[item.episode].append(item)
    return found


def test_without_laundering_share_there_is_no_laundering():
    assert episodes(0.0, 20_000) == {}


def test_every_scenario_appears_each_episode_in_one_currency():
    found = episodes(0.03)
    labels = {items[0].label for items in found.values()}
    assert labels == set(LAUNDERING_SCENARIOS)
    for items in found.values():
        assert len({i.transaction.currency for i in items}) == 1


def test_intermediaries_never_pay_on_more_than_they_received():
    for items in episodes(0.03).values():
        items.sort(key=lambda i: i.transaction.timestamp)
        origin = items[0].transaction.source  # a cycle's ends there
        payers = {i.transaction.source for i in items}
        payees = {i.transaction.target for i in items}
        balance = defaultdict(float)
        for item in items:
            balance[item.transaction.target] += float(item.transaction.amount)
            balance[item.transaction.source] -= float(item.transaction.amount)
            for mule in (payers & payees) - {origin}:
                assert balance[mule] >= 0, (item.label, mule)


def test_slow_fan_in_takes_days():
    """Over those that began in the first half (the others may be cut off
    where the traffic ends)."""
    spans = []
    for items in episodes(0.03).values():
        times = [i.transaction.timestamp for i in items]
        if items[0].label == "slow_fan_in" and min(times) < START + timedelta(days=15):
            spans.append((max(times) - min(times)).total_seconds() / 86400)
    assert spans and min(spans) >= 1.0
