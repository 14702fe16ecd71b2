"""Sum in window: total sent by one source within a window above X."""

import pytest

from tests.detection.context import run, tx
from transactions_app.detection import RuleConfigError, SumInWindowRule

RULE = SumInWindowRule(name="sum", max_total="1000", window_seconds=3600, weight=40)


def test_empty_history_compares_the_amount_alone():
    assert run(RULE, [], tx("1000.00", t=0)) is None
    assert run(RULE, [], tx("1000.01", t=0)).observed == "1000.01"


def test_fires_when_the_window_total_exceeds():
    reason = run(RULE, [tx("400", t=0), tx("400", t=100)], tx("200.01", t=200))
    assert (reason.observed, reason.threshold, reason.window) == (
        "1000.01",
        "> 1000",
        3600,
    )


def test_amounts_outside_the_window_do_not_count():
    assert run(RULE, [tx("900", t=0)], tx("200", t=3600)) is None
    reason = run(RULE, [tx("900", t=0.5)], tx("200", t=3600))
    assert (reason.observed, reason.threshold) == ("1100.00", "> 1000")


def test_late_and_equal_timestamps():
    """A late transaction (within the allowed lateness) is summed with the
    equal-time ones before it, not with the later one."""
    history = [tx("500", t=100), tx("500", t=100), tx("500", t=3700)]
    assert run(RULE, history, tx("1", t=100)).observed == "1001.00"


def test_events_later_than_the_allowed_lateness_find_their_window_trimmed():
    """State is bounded: entries older than retention + lateness behind the
    account's newest event are gone."""
    history = [tx("500", t=100), tx("500", t=100), tx("500", t=5000)]
    assert run(RULE, history, tx("1", t=100)) is None


def test_bad_configuration_is_refused():
    with pytest.raises(RuleConfigError, match="max_total must be a positive amount"):
        SumInWindowRule(name="s", weight=1, max_total=0, window_seconds=10)
