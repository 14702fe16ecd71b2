"""Fan-in: a target receives from at least N distinct sources in a window."""

import pytest

from tests.detection.context import run, tx
from transactions_app.detection import FanInRule, RuleConfigError

RULE = FanInRule(name="fan_in", min_sources=4, window_seconds=3600, weight=60)


def test_fires_on_the_nth_distinct_source():
    senders = [tx(t=i, source=f"S{i}", target="MULE") for i in range(3)]
    reason = run(RULE, senders, tx(t=10, source="S9", target="MULE"))
    assert (reason.observed, reason.threshold, reason.window) == (
        "4 distinct sources",
        ">= 4",
        3600,
    )


def test_repeat_senders_count_once():
    repeats = [tx(t=i, source="S1", target="MULE") for i in range(5)]
    assert run(RULE, repeats, tx(t=10, source="S2", target="MULE")) is None


def test_empty_history_and_old_senders_do_not_fire():
    assert run(RULE, [], tx(target="MULE")) is None
    old = [tx(t=i, source=f"S{i}", target="MULE") for i in range(3)]
    assert run(RULE, old, tx(t=3602, source="S9", target="MULE")) is None


def test_equal_timestamps_count():
    same = [tx(t=7, source=f"S{i}", target="MULE") for i in range(3)]
    reason = run(RULE, same, tx(t=7, source="S9", target="MULE"))
    assert (reason.observed, reason.threshold) == ("4 distinct sources", ">= 4")


NEW_ONLY = FanInRule(
    name="fan_in", min_sources=3, window_seconds=3600, weight=60, new_senders_only=True
)


def test_new_senders_only_ignores_regular_payers():
    """A shop paid by its regulars is not a mule: with new_senders_only,
    only sources paying the target for the first time count."""
    regulars = [tx(t=i, source=f"R{i}", target="SHOP") for i in range(3)]
    again = [tx(t=4000 + i, source=f"R{i}", target="SHOP") for i in range(3)]
    current = tx(t=4100, source="R0", target="SHOP")
    assert run(NEW_ONLY, regulars + again, current) is None
    plain = FanInRule(name="f", min_sources=3, window_seconds=3600, weight=1)
    reason = run(plain, regulars + again, current)
    assert (reason.observed, reason.threshold) == ("3 distinct sources", ">= 3")


def test_new_senders_only_fires_on_first_time_payers():
    first_timers = [tx(t=i, source=f"N{i}", target="MULE") for i in range(2)]
    reason = run(NEW_ONLY, first_timers, tx(t=5, source="N9", target="MULE"))
    assert reason.observed == "3 distinct new sources"


RELATIVE = FanInRule(
    name="fan_in",
    min_sources=3,
    window_seconds=3600,
    weight=60,
    new_senders_only=True,
    established_after_seconds=86400,
    jump_factor=3,
)
DAY = 86400


def shop_customers(days: int, per_hour: int) -> list:
    """A shop paid by ``per_hour`` new customers an hour for ``days``."""
    return [
        tx(t=-days * DAY + h * 3600 + i, source=f"C{h}-{i}", target="SHOP")
        for h in range(days * 24)
        for i in range(per_hour)
    ]


def test_an_established_shop_paid_by_its_usual_new_customers_is_not_a_mule():
    history = shop_customers(days=3, per_hour=4)
    usual_hour = [tx(t=3000 + i, source=f"N{i}", target="SHOP") for i in range(3)]
    assert (
        run(RELATIVE, history + usual_hour, tx(t=3500, source="N9", target="SHOP"))
        is None
    )


def test_an_established_receiver_whose_payers_jump_is_flagged_and_says_so():
    history = shop_customers(days=3, per_hour=1)
    rush = [tx(t=3000 + i, source=f"N{i}", target="SHOP") for i in range(3)]
    reason = run(RELATIVE, history + rush, tx(t=3500, source="N9", target="SHOP"))
    assert reason.observed.startswith("4 distinct new sources, 4 payments against")
    assert "usual 1.0 in a window this long" in reason.observed
    assert reason.threshold == ">= 3 and >= 3x its usual payments"


def test_a_receiver_newer_than_the_establishment_age_fires_on_its_count():
    young = [tx(t=i, source=f"N{i}", target="MULE") for i in range(2)]
    reason = run(RELATIVE, young, tx(t=5, source="N9", target="MULE"))
    assert reason.observed == "3 distinct new sources"


def test_a_known_merchant_is_never_taken_for_a_mule():
    senders = [tx(t=i, source=f"S{i}", target="SHOP") for i in range(3)]
    current = tx(t=10, source="S9", target="SHOP")
    assert run(RULE, senders, current, lists={"merchant": frozenset({"SHOP"})}) is None
    assert run(RULE, senders, current) is not None


def test_a_non_positive_establishment_age_is_refused_by_name():
    with pytest.raises(RuleConfigError, match="established_after_seconds must be"):
        FanInRule(
            name="f",
            weight=1,
            min_sources=3,
            window_seconds=60,
            established_after_seconds=0,
        )
