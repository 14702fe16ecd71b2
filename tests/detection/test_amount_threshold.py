"""The original rule: a transaction is suspicious iff amount >= 900 EUR."""

from decimal import Decimal

import pytest

from tests.detection.context import run, tx
from transactions_app.detection import (
    AmountThresholdRule,
    RuleConfigError,
    original_rule,
)


@pytest.mark.parametrize("amount", ["900", "900.00", "900.01", "10000.00"])
def test_fires_at_and_above_the_threshold(amount):
    """Amounts of 900 EUR and more fire, with observed value and threshold."""
    reason = run(original_rule(), [], tx(amount))
    assert reason.rule == "amount_threshold"
    assert reason.version == 1
    assert reason.observed == f"{Decimal(amount)} EUR"
    assert reason.threshold == ">= 900 EUR"
    assert reason.window is None
    assert reason.score == 100


@pytest.mark.parametrize("amount", ["1.00", "899.99", "0.01"])
def test_stays_silent_below_the_threshold(amount):
    assert run(original_rule(), [], tx(amount)) is None


def test_other_currencies_are_not_compared():
    """A 5000 USD transfer is not measured against a EUR threshold."""
    assert run(original_rule(), [], tx("5000", currency="USD")) is None


def test_threshold_currency_and_weight_are_parameters():
    rule = AmountThresholdRule(name="usd", threshold="50", weight=30, currency="USD")
    assert run(rule, [], tx("50", currency="USD")).score == 30


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"threshold": "-1"}, "threshold must be a positive amount"),
        ({"threshold": "abc"}, "threshold must be an amount"),
        ({"currency": "euro"}, "currency must be three capital letters"),
        ({"weight": -5}, "weight must be a whole number"),
        ({"weight": 0}, "needs a weight above 0 or a forced outcome"),
    ],
)
def test_bad_configuration_is_refused(params, message):
    with pytest.raises(RuleConfigError, match=message):
        AmountThresholdRule(**({"name": "r", "weight": 10} | params))
