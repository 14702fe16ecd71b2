"""An amount against the payer's own history (median and share of its
last payments), and against its currency's population for a payer too new
to have a history."""

import uuid

import pytest

from tests.detection.context import at, run, tx
from tests.factories import engine_transaction
from transactions_app.detection import AmountBaselineRule, RuleConfigError

RULE = AmountBaselineRule(
    name="baseline",
    factor=5,
    above_share=0.9,
    min_history=10,
    population_above_share=0.99,
    weight=20,
)
# Ten payments of 40.00 to 49.00 from S1: median 44.50.
HISTORY = [tx(f"{40 + i}.00", t=i) for i in range(10)]


def test_fires_at_factor_times_the_payers_median_and_says_so():
    reason = run(RULE, HISTORY, tx("222.50", t=100))
    assert reason.observed == (
        "222.50 EUR is 5.0x this payer's median of 44.50, above 100% of its "
        "last 10 payments"
    )
    assert reason.threshold == ">= 5x the median and above 90%"
    assert reason.score == 20


def test_just_below_factor_times_the_median_does_not_fire():
    assert run(RULE, HISTORY, tx("222.49", t=100)) is None


def test_a_payer_whose_large_payments_are_usual_is_not_flagged():
    """Above five times the median, but one payment in five is as large:
    the share test keeps this payer's habit from looking unusual."""
    habits = HISTORY[:8] + [tx("900.00", t=20 + i) for i in range(2)]
    assert run(RULE, habits, tx("300.00", t=100)) is None


def population(count: int) -> list:
    """``count`` payments of 10.00 to 59.00 EUR from many payers, all of
    them in the population's sample (one transaction id in four), and as
    many that are not (a 5000.00 each, which would move the median)."""
    sampled = [
        engine_transaction(
            f"{10 + i % 50}.00",
            source=f"P{i}",
            timestamp=at(i),
            transaction_id=uuid.UUID(int=4 * i),
        )
        for i in range(count)
    ]
    unsampled = [
        engine_transaction(
            "5000.00",
            source=f"Q{i}",
            timestamp=at(i),
            transaction_id=uuid.UUID(int=4 * i + 1),
        )
        for i in range(count)
    ]
    return sampled + unsampled


def test_a_new_payer_is_compared_with_its_currency_population():
    reason = run(RULE, population(300), tx("400.00", t=1000, source="NEW"))
    assert reason.observed == (
        "400.00 EUR from a payer with 0 earlier payments is above 100.0% of "
        "recent EUR payments (median 34.50)"
    )
    assert "fewer than 10 payments of its own" in reason.threshold


def test_without_enough_population_or_the_option_a_new_payer_is_not_judged():
    assert run(RULE, population(199), tx("400.00", t=1000, source="NEW")) is None
    own_only = AmountBaselineRule(name="b", factor=5, min_history=10, weight=20)
    assert run(own_only, population(300), tx("400.00", t=1000, source="NEW")) is None


def test_the_population_is_per_currency():
    usd = tx("400.00", t=1000, source="NEW", currency="USD")
    assert run(RULE, population(300), usd) is None


@pytest.mark.parametrize(
    "params, message",
    [
        ({"factor": 0.5}, "factor must be a number of at least 1"),
        ({"factor": 5, "above_share": 1}, "above_share must be a share"),
        ({"factor": 5, "min_history": 0}, "min_history must be a whole number"),
        (
            {"factor": 5, "population_above_share": 0},
            "population_above_share must be a share",
        ),
    ],
)
def test_configurations_that_cannot_work_are_refused(params, message):
    with pytest.raises(RuleConfigError, match=message):
        AmountBaselineRule(name="b", weight=1, **params)
