"""The tutorial's rule: one large amount."""

from dataclasses import dataclass
from decimal import Decimal

from ..types import Reason
from .base import Context, Rule, positive_amount, require


@dataclass(frozen=True, slots=True, kw_only=True)
class AmountThresholdRule(Rule):
    """Fires when one transaction's amount is at least ``threshold`` in
    ``currency``. The original tutorial rule is ``amount >= 900`` EUR."""

    kind = "amount_threshold"

    threshold: Decimal = Decimal("900")
    currency: str = "EUR"

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        object.__setattr__(
            self, "threshold", positive_amount(self.threshold, "threshold")
        )
        require(
            len(self.currency) == 3 and self.currency.isupper(),
            "currency must be three capital letters",
        )

    def evaluate(self, context: Context) -> Reason | None:
        tx = context.transaction
        if tx.currency != self.currency or tx.amount < self.threshold:
            return None
        return self._reason(
            f"{tx.amount} {tx.currency}", f">= {self.threshold} {self.currency}"
        )
