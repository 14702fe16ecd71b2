"""Velocity against the payer's own usual rate."""

import pytest

from tests.detection.context import run, tx
from transactions_app.detection import RuleConfigError, VelocityBaselineRule

DAY = 86400
RULE = VelocityBaselineRule(
    name="rate",
    window_seconds=3600,
    factor=10,
    min_count=3,
    min_history_seconds=DAY,
    weight=30,
)
# One payment a day for ten days: about 0.04 a window of an hour.
QUIET = [tx(t=-10 * DAY + d * DAY) for d in range(10)]


def test_a_quiet_payer_sending_a_few_in_an_hour_is_flagged_and_says_so():
    burst = QUIET + [tx(t=60), tx(t=120)]
    reason = run(RULE, burst, tx(t=180))
    assert reason.observed == (
        "3 payments against this payer's usual 0.04 in a window this long"
    )
    assert (reason.threshold, reason.window) == (
        ">= 3 and >= 10x its usual rate",
        3600,
    )


def test_a_busy_payer_at_its_usual_pace_is_not():
    """Twenty a day for ten days (0.83 an hour): three in an hour is still
    below ten times that."""
    busy = [tx(t=-10 * DAY + i * DAY / 20) for i in range(200)]
    assert run(RULE, busy + [tx(t=60), tx(t=120)], tx(t=180)) is None


def test_below_the_minimum_count_or_history_it_stays_silent():
    assert run(RULE, QUIET + [tx(t=60)], tx(t=120)) is None
    young = [tx(t=-3600 + i * 60) for i in range(5)]
    assert run(RULE, young, tx(t=0)) is None


@pytest.mark.parametrize(
    "params, message",
    [
        ({"factor": 1}, "factor must be a number above 1"),
        ({"min_history_seconds": 0}, "min_history_seconds must be a positive"),
    ],
)
def test_configurations_that_cannot_work_are_refused(params, message):
    with pytest.raises(RuleConfigError, match=message):
        VelocityBaselineRule(name="v", weight=1, window_seconds=60, **params)
