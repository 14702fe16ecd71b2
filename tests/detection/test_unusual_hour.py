"""A payment at an hour of day the payer hardly ever pays at (UTC)."""

import pytest

from tests.detection.context import run, tx
from transactions_app.detection import RuleConfigError, UnusualHourRule

RULE = UnusualHourRule(name="hour", max_share=0.05, min_history=20, weight=10)
DAY, HOUR = 86400, 3600
# NOW is 10:00 UTC: twenty days of payments between 10:00 and 11:00.
DAYTIME = [tx(t=d * DAY + 600) for d in range(20)]


def at_hour(hour: int, day: int = 30):
    return tx(t=day * DAY + (hour - 10) * HOUR + 14 * 60)


def test_fires_at_an_hour_the_payer_never_pays_at_and_says_so():
    reason = run(RULE, DAYTIME, at_hour(2))
    assert reason.observed == (
        "02:14 UTC: 0.0% of this payer's 20 payments fell within 1 h of this hour"
    )
    assert reason.threshold == "<= 5.0%"


def test_an_hour_next_to_the_usual_one_is_usual():
    assert run(RULE, DAYTIME, at_hour(11)) is None
    assert run(RULE, DAYTIME, at_hour(9)) is None


def test_the_share_limit_is_inclusive():
    """One payment in twenty (5%) at 02:00 is still unusual at 5%; two
    are not."""
    one = DAYTIME[:19] + [at_hour(2, day=25)]
    assert run(RULE, one, at_hour(2)) is not None
    two = DAYTIME[:18] + [at_hour(2, day=25), at_hour(2, day=26)]
    assert run(RULE, two, at_hour(2)) is None


def test_hours_wrap_around_midnight():
    nights = [tx(t=d * DAY + 14 * HOUR) for d in range(20)]  # 00:00 UTC
    assert run(RULE, nights, at_hour(23)) is None
    assert run(RULE, nights, at_hour(22)) is not None


def test_not_before_the_minimum_history():
    assert run(RULE, DAYTIME[:19], at_hour(2)) is None


@pytest.mark.parametrize(
    "params, message",
    [
        ({"max_share": 1}, "max_share must be a share"),
        ({"spread_hours": 12}, "spread_hours must be a whole number from 0 to 11"),
        ({"min_history": 0}, "min_history must be a whole number"),
    ],
)
def test_configurations_that_cannot_work_are_refused(params, message):
    with pytest.raises(RuleConfigError, match=message):
        UnusualHourRule(name="h", weight=1, **params)
