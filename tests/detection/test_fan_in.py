"""Fan-in: a target receives from at least N distinct sources in a window."""

from tests.detection.context import run, tx
from transactions_app.detection import FanInRule

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
    assert run(RULE, same, tx(t=7, source="S9", target="MULE")) is not None
