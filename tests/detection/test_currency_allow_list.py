"""The currency allow-list."""

import pytest

from tests.detection.context import run, tx
from transactions_app.detection import CurrencyAllowListRule, RuleConfigError


def test_currencies_outside_the_allow_list_fire():
    rule = CurrencyAllowListRule(name="ccy", currencies=["EUR", "USD"], weight=50)
    assert run(rule, [], tx(currency="USD")) is None
    reason = run(rule, [], tx(currency="XAU"))
    assert (reason.observed, reason.threshold) == ("XAU", "one of EUR, USD")


@pytest.mark.parametrize("currencies", [[], ["eur"], "EUR", ["EURO"]])
def test_bad_allow_lists_are_refused(currencies):
    with pytest.raises(RuleConfigError, match="currencies"):
        CurrencyAllowListRule(name="c", weight=1, currencies=currencies)
