"""Block and watch lists of accounts, and the currency allow-list."""

import pytest

from tests.detection.context import run, tx
from transactions_app.detection import (
    AccountListRule,
    CurrencyAllowListRule,
    Outcome,
    RuleConfigError,
)

BLOCK = AccountListRule(name="block", list_name="block", force=Outcome.FRAUD)
LISTS = {"block": frozenset({"BAD"})}


@pytest.mark.parametrize(
    ("source", "target", "observed"),
    [
        ("BAD", "T1", "source on the block list"),
        ("S1", "BAD", "target on the block list"),
        ("BAD", "BAD", "source and target on the block list"),
    ],
)
def test_listed_accounts_fire(source, target, observed):
    reason = run(BLOCK, [], tx(source=source, target=target), lists=LISTS)
    assert reason.observed == observed
    assert reason.force is Outcome.FRAUD


def test_unlisted_accounts_and_missing_lists_do_not_fire():
    assert run(BLOCK, [], tx(), lists=LISTS) is None
    assert run(BLOCK, [], tx(source="BAD")) is None


def test_currencies_outside_the_allow_list_fire():
    rule = CurrencyAllowListRule(name="ccy", currencies=["EUR", "USD"], weight=50)
    assert run(rule, [], tx(currency="USD")) is None
    reason = run(rule, [], tx(currency="XAU"))
    assert (reason.observed, reason.threshold) == ("XAU", "one of EUR, USD")


@pytest.mark.parametrize("currencies", [[], ["eur"], "EUR", ["EURO"]])
def test_bad_allow_lists_are_refused(currencies):
    with pytest.raises(RuleConfigError, match="currencies"):
        CurrencyAllowListRule(name="c", weight=1, currencies=currencies)
