"""Several payments unusually large for the payer within a window."""

import pytest

from tests.detection.context import run, tx
from transactions_app.detection import AmountSpreeRule, RuleConfigError

RULE = AmountSpreeRule(
    name="spree",
    min_count=3,
    window_seconds=3600,
    factor=3,
    above_share=0.9,
    min_history=10,
    weight=50,
)
# Twenty payments of 20.00 from S1 over the day before: median 20.00.
HISTORY = [tx("20.00", t=-86400 + i * 60) for i in range(20)]


def test_fires_on_the_third_large_payment_within_the_window():
    spree = HISTORY + [tx("300.00", t=0), tx("280.00", t=1800)]
    reason = run(RULE, spree, tx("310.00", t=3599))
    assert reason.observed == (
        "3 payments unusually large for this payer (>= 3x its median of "
        "20.00) within the window"
    )
    assert (reason.threshold, reason.window, reason.score) == (">= 3", 3600, 50)


def test_two_are_not_yet_a_spree():
    assert run(RULE, HISTORY + [tx("300.00", t=0)], tx("310.00", t=10)) is None


def test_a_large_payment_that_left_the_window_does_not_count():
    spree = HISTORY + [tx("300.00", t=0), tx("280.00", t=1800)]
    assert run(RULE, spree, tx("310.00", t=3600)) is None


def test_the_current_payment_must_itself_be_unusual():
    spree = HISTORY + [tx("300.00", t=0), tx("280.00", t=60)]
    assert run(RULE, spree, tx("25.00", t=120)) is None


def test_not_before_the_minimum_history():
    short = HISTORY[:7] + [tx("300.00", t=0), tx("280.00", t=60)]
    assert run(RULE, short, tx("310.00", t=120)) is None


def test_min_count_below_two_is_refused():
    with pytest.raises(RuleConfigError, match="min_count must be at least 2"):
        AmountSpreeRule(name="s", weight=1, min_count=1, window_seconds=60)
