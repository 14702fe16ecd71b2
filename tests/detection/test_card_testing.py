"""Card testing: at least N small transactions within a window."""

import pytest

from tests.detection.context import run, tx
from transactions_app.detection import CardTestingRule, RuleConfigError

RULE = CardTestingRule(
    name="card_testing", small_amount="5", min_count=4, window_seconds=600, weight=60
)


def test_empty_history_never_fires():
    assert run(RULE, [], tx("1.00")) is None


def test_fires_on_the_nth_small_transaction():
    smalls = [tx("1.00", t=i) for i in range(3)]
    reason = run(RULE, smalls, tx("2.00", t=10))
    assert reason.observed == "4 transactions below 5"
    assert reason.window == 600


def test_the_large_payment_after_the_tests_is_flagged_too():
    smalls = [tx("1.00", t=i) for i in range(4)]
    reason = run(RULE, smalls, tx("750.00", t=20))
    assert (reason.observed, reason.threshold) == ("4 transactions below 5", ">= 4")


def test_amounts_at_the_limit_are_not_small():
    at_limit = [tx("5.00", t=i) for i in range(5)]
    assert run(RULE, at_limit, tx("5.00", t=10)) is None


def test_small_transactions_outside_the_window_are_forgotten():
    old = [tx("1.00", t=i) for i in range(3)]
    assert run(RULE, old, tx("1.00", t=602)) is None


def test_bad_configuration_is_refused():
    with pytest.raises(RuleConfigError, match="min_count"):
        CardTestingRule(
            name="c", weight=1, small_amount=5, min_count=0, window_seconds=10
        )
