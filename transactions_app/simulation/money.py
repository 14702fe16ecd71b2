"""The currencies the realistic profile pays in: each account's habits are
in euros, paid in the currency of its home country at that currency's
scale and decimals."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Money:
    """A currency as the generator pays in it: its code, how many of its
    units a euro buys (so each account's habits keep their size whatever
    it pays in) and its decimals."""

    code: str
    per_euro: float
    decimals: int = 2

    def amount(self, euros: float) -> Decimal:
        """``euros`` worth of this currency, rounded to its decimals (at
        least the smallest unit)."""
        units = max(1, round(euros * self.per_euro * 10**self.decimals))
        return Decimal(units).scaleb(-self.decimals)


EURO = Money("EUR", 1.0)
# What people at home in each country pay in; the countries not listed pay
# in euros. HUF is the scale hundreds of times the euro's (whole forints).
HOME_CURRENCIES = {
    "GB": Money("GBP", 0.85),
    "SE": Money("SEK", 11.5),
    "PL": Money("PLN", 4.3),
    "HU": Money("HUF", 400.0, 0),
}
