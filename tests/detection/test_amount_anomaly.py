"""Per-account anomaly: an amount at least k times the source's typical
(median) amount, after a minimum history."""

import pytest

from tests.detection.context import run, tx
from transactions_app.detection import AmountAnomalyRule, RuleConfigError

RULE = AmountAnomalyRule(name="anomaly", factor=10, min_history=5, weight=40)
HISTORY = [tx(amount, t=i) for i, amount in enumerate(["20", "25", "30", "500", "22"])]


def test_fires_at_k_times_the_median():
    """The median (25) resists the one large past payment."""
    reason = run(RULE, HISTORY, tx("250", t=10))
    assert reason.observed == "10.0 x typical 25.00"
    assert reason.threshold == ">= 10 x"


def test_below_k_times_does_not_fire():
    assert run(RULE, HISTORY, tx("249.99", t=10)) is None


def test_not_before_the_minimum_history():
    assert run(RULE, [], tx("10000", t=0)) is None
    assert run(RULE, HISTORY[:4], tx("10000", t=10)) is None


def test_history_outlives_the_windows():
    """Typical behaviour is remembered beyond the rule windows."""
    old = [tx("20", t=i * 86400) for i in range(5)]
    reason = run(RULE, old, tx("500", t=10 * 86400))
    assert (reason.observed, reason.threshold) == ("25.0 x typical 20.00", ">= 10 x")


def test_factor_must_be_above_one():
    with pytest.raises(RuleConfigError, match="factor"):
        AmountAnomalyRule(name="a", weight=1, factor=0.5)
