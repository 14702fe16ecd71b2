"""The original rule: a transaction is suspicious iff amount >= 900 EUR."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from transactions_app.detection import AmountThresholdRule, Transaction

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def make_transaction(amount: str, currency: str = "EUR") -> Transaction:
    return Transaction(
        transaction_id=uuid.uuid4(),
        source="AAAAAAAAAAAA",
        target="BBBBBBBBBBBB",
        amount=Decimal(amount),
        currency=currency,
        timestamp=NOW,
    )


@pytest.mark.parametrize("amount", ["900", "900.00", "900.01", "10000.00"])
def test_fires_at_and_above_the_threshold(amount):
    """Amounts of 900 EUR and more fire, with observed value and threshold."""
    reason = AmountThresholdRule().evaluate(make_transaction(amount), NOW)
    assert reason is not None
    assert reason.rule == "amount_threshold"
    assert reason.version == 1
    assert reason.observed == f"{Decimal(amount)} EUR"
    assert reason.threshold == ">= 900 EUR"
    assert reason.window is None


@pytest.mark.parametrize("amount", ["1.00", "899.99", "0.01"])
def test_stays_silent_below_the_threshold(amount):
    """Amounts below 900 EUR do not fire."""
    assert AmountThresholdRule().evaluate(make_transaction(amount), NOW) is None


def test_other_currencies_are_not_compared():
    """A 5000 USD transfer is not measured against a EUR threshold."""
    assert AmountThresholdRule().evaluate(make_transaction("5000", "USD"), NOW) is None


def test_threshold_and_weight_are_parameters():
    """A rule instance carries its own threshold and weight."""
    rule = AmountThresholdRule(threshold=Decimal("50"), weight=30, currency="USD")
    reason = rule.evaluate(make_transaction("50", "USD"), NOW)
    assert reason.score == 30
