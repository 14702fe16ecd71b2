"""The generator's currencies: euros' worth at each currency's scale,
rounded to its decimals."""

from decimal import Decimal

from transactions_app.simulation.money import EURO, HOME_CURRENCIES, Money


def test_an_amount_is_the_euros_worth_rounded_to_the_decimals():
    assert EURO.amount(12.346) == Decimal("12.35")
    assert Money("SEK", 11.5).amount(10) == Decimal("115.00")
    forint = HOME_CURRENCIES["HU"]
    assert forint.amount(27.01) == Decimal("10804")
    assert forint.amount(27.01).as_tuple().exponent == 0


def test_the_smallest_amount_is_one_unit():
    assert EURO.amount(0.001) == Decimal("0.01")
    assert HOME_CURRENCIES["HU"].amount(0.0001) == Decimal("1")
