"""The seed profile reproduces the original generator's distributions."""

import re
from datetime import UTC, datetime
from decimal import Decimal

from transactions_app.simulation.generator import SeedProfile

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def sample(seed, n=2000):
    generate = SeedProfile(seed=seed, clock=lambda: NOW)
    return [generate().transaction for _ in range(n)]


def test_same_seed_same_sequence():
    """--seed makes the output reproducible: ids, accounts and amounts."""
    assert sample(7, 50) == sample(7, 50)
    assert sample(7, 50) != sample(8, 50)


def test_accounts_are_twelve_alphanumerics_and_currency_is_eur():
    for tx in sample(1):
        assert re.fullmatch(r"[0-9A-Za-z]{12}", tx.source)
        assert re.fullmatch(r"[0-9A-Za-z]{12}", tx.target)
        assert tx.currency == "EUR"
        assert tx.timestamp == NOW


def test_amounts_are_uniform_between_1_and_10000_with_two_decimals():
    """About 91% of amounts are at least 900, as in the original."""
    amounts = [tx.amount for tx in sample(2, 20000)]
    assert min(amounts) >= Decimal("1.00")
    assert max(amounts) <= Decimal("10000.00")
    assert all(a == a.quantize(Decimal("0.01")) for a in amounts)
    share_flagged = sum(a >= 900 for a in amounts) / len(amounts)
    assert 0.90 < share_flagged < 0.92
