"""The original rule: a transaction is suspicious iff amount >= 900 EUR."""

from decimal import Decimal

import pytest

from tests.factories import NOW, engine_transaction
from transactions_app.detection import AmountThresholdRule


@pytest.mark.parametrize("amount", ["900", "900.00", "900.01", "10000.00"])
def test_fires_at_and_above_the_threshold(amount):
    """Amounts of 900 EUR and more fire, with observed value and threshold."""
    reason = AmountThresholdRule().evaluate(engine_transaction(amount), NOW)
    assert reason is not None
    assert reason.rule == "amount_threshold"
    assert reason.version == 1
    assert reason.observed == f"{Decimal(amount)} EUR"
    assert reason.threshold == ">= 900 EUR"
    assert reason.window is None


@pytest.mark.parametrize("amount", ["1.00", "899.99", "0.01"])
def test_stays_silent_below_the_threshold(amount):
    """Amounts below 900 EUR do not fire."""
    assert AmountThresholdRule().evaluate(engine_transaction(amount), NOW) is None


def test_other_currencies_are_not_compared():
    """A 5000 USD transfer is not measured against a EUR threshold."""
    assert (
        AmountThresholdRule().evaluate(engine_transaction("5000", currency="USD"), NOW)
        is None
    )


def test_threshold_and_weight_are_parameters():
    """A rule instance carries its own threshold and weight."""
    rule = AmountThresholdRule(threshold=Decimal("50"), weight=30, currency="USD")
    reason = rule.evaluate(engine_transaction("50", currency="USD"), NOW)
    assert reason.score == 30
