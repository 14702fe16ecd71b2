"""A currency the platform does not take."""

from dataclasses import dataclass, field

from ..types import Reason
from .base import Context, Rule, require


@dataclass(frozen=True, slots=True, kw_only=True)
class CurrencyAllowListRule(Rule):
    """Fires when the currency is not one of ``currencies``."""

    kind = "currency_allow_list"

    currencies: frozenset[str] = field(default_factory=lambda: frozenset({"EUR"}))

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        require(not isinstance(self.currencies, str), "currencies must be a list")
        currencies = frozenset(self.currencies)
        require(bool(currencies), "currencies must not be empty")
        require(
            all(isinstance(c, str) and len(c) == 3 and c.isupper() for c in currencies),
            "currencies must be three capital letters each",
        )
        object.__setattr__(self, "currencies", currencies)

    def evaluate(self, context: Context) -> Reason | None:
        currency = context.transaction.currency
        if currency in self.currencies:
            return None
        return self._reason(currency, f"one of {', '.join(sorted(self.currencies))}")
