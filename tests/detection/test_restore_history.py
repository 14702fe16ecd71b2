"""A restarted engine given its accounts' older history and the recent
transactions judges what follows exactly as one that never stopped."""

from datetime import timedelta

from tests.detection.history import DAY, expected_histories, habitual_stream
from tests.factories import NOW
from transactions_app.detection import Engine, PayerHistory, ReceiverHistory, RuleSet
from transactions_app.rules.defaults import default_rules

RESTART = NOW - timedelta(hours=12)  # half-way through the stream's last day
REPLAYED = timedelta(seconds=DAY + 300)  # the defaults' longest window, and lateness


def engine() -> Engine:
    return Engine(RuleSet(rules=default_rules()), clock=lambda: NOW)


def verdicts_after_restart(stream, *, with_history: bool) -> list:
    since = RESTART - REPLAYED
    restarted = engine()
    if with_history:
        payers, receivers, populations = expected_histories(
            stream, after=since - timedelta(days=90), before=since
        )
        restarted.restore_history(payers, receivers, populations=populations)
    restarted.restore(tx for tx in stream if since <= tx.timestamp < RESTART)
    return [restarted.classify(tx) for tx in stream if tx.timestamp >= RESTART]


def test_a_restart_with_the_history_judges_as_if_it_never_stopped():
    stream = habitual_stream()
    uninterrupted = engine()
    verdicts = [uninterrupted.classify(tx) for tx in stream]
    after_restart = verdicts[-len(verdicts_after_restart(stream, with_history=True)) :]
    assert verdicts_after_restart(stream, with_history=True) == after_restart
    flagged = sum(verdict.is_flagged for verdict in after_restart)
    assert flagged >= 5, "the stream must give the relative rules work"


def test_without_the_history_a_restart_judges_differently():
    """The test above has teeth: replaying the last day alone loses the
    baselines (payers' medians, receivers' age) and changes verdicts."""
    stream = habitual_stream()
    uninterrupted = engine()
    verdicts = [uninterrupted.classify(tx) for tx in stream]
    restarted = verdicts_after_restart(stream, with_history=False)
    assert restarted != verdicts[-len(restarted) :]


def test_a_receiver_paid_from_several_shards_keeps_the_earliest_and_the_most():
    restarted = engine()
    restarted.restore_history({}, {"shop": ReceiverHistory(100.0, 500.0, 40)}, shard=0)
    restarted.restore_history({}, {"shop": ReceiverHistory(50.0, 400.0, 30)}, shard=1)
    shop = restarted.state.target("shop")
    assert (shop.first_seen, shop.count, shop.last_seen) == (50.0, 40, 500.0)
    restarted.restore_history({"card": PayerHistory(10.0, 20.0, 3)}, {}, shard=0)
    restarted.restore_history({"card": PayerHistory(1.0, 2.0, 99)}, {}, shard=0)
    assert restarted.state.source("card").count == 3  # the live one is kept
