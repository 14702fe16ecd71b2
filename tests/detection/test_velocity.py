"""Velocity: more than N transactions from one source within a window."""

import pytest

from tests.detection.context import engine, run, tx
from transactions_app.detection import RuleConfigError, VelocityRule

RULE = VelocityRule(name="velocity", max_count=3, window_seconds=60, weight=60)


def test_empty_history_counts_only_the_transaction():
    assert run(RULE, [], tx(t=0)) is None


def test_fires_above_max_count_with_the_window_in_the_reason():
    reason = run(RULE, [tx(t=0), tx(t=10), tx(t=20)], tx(t=30))
    assert (reason.observed, reason.threshold, reason.window) == (
        "4 transactions",
        "> 3",
        60,
    )


def test_exactly_max_count_does_not_fire():
    assert run(RULE, [tx(t=0), tx(t=10)], tx(t=20)) is None


def test_window_edge_is_exclusive_at_the_start():
    """An entry exactly one window before is outside; a moment later, in."""
    outside = [tx(t=0), tx(t=30), tx(t=40)]
    assert run(RULE, outside, tx(t=60)) is None
    inside = [tx(t=0.001), tx(t=30), tx(t=40)]
    reason = run(RULE, inside, tx(t=60))
    assert (reason.observed, reason.threshold) == ("4 transactions", "> 3")


def test_equal_timestamps_all_count():
    same = [tx(t=5), tx(t=5), tx(t=5)]
    assert run(RULE, same, tx(t=5)).observed == "4 transactions"


def test_out_of_order_arrivals_count_by_event_time():
    """A late transaction sees the earlier ones of its window, not the
    ones that happened after it."""
    arrived = [tx(t=50), tx(t=10), tx(t=40), tx(t=30), tx(t=200)]
    assert run(RULE, arrived, tx(t=45)).observed == "4 transactions"
    assert run(RULE, arrived, tx(t=5)) is None


def test_other_sources_do_not_count():
    others = [tx(t=i, source=f"X{i}") for i in range(5)]
    assert run(RULE, others, tx(t=6)) is None


def test_a_burst_through_the_engine_is_flagged_from_the_fourth():
    detector = engine(RULE)
    verdicts = [detector.classify(tx(t=i)) for i in range(6)]
    assert [v.score for v in verdicts] == [0, 0, 0, 60, 60, 60]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"max_count": 0, "window_seconds": 60}, "max_count must be a whole number"),
        ({"max_count": 2, "window_seconds": -1}, "window must be a number of seconds"),
        ({"max_count": 2, "window_seconds": 0}, "window must be a number of seconds"),
        ({"max_count": 2.5, "window_seconds": 10}, "max_count must be a whole number"),
    ],
)
def test_bad_configuration_is_refused(params, message):
    with pytest.raises(RuleConfigError, match=message):
        VelocityRule(name="v", weight=10, **params)
