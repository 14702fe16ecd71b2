"""An established account suddenly paying someone new a lot."""

from dataclasses import dataclass
from decimal import Decimal

from ..types import Reason
from .base import Context, Rule, positive_amount, positive_count


@dataclass(frozen=True, slots=True, kw_only=True)
class NewCounterpartyRule(Rule):
    """Fires on the first transfer from a source to a target when the amount
    is at least ``min_amount`` and the source has at least ``min_history``
    earlier transactions (an established account suddenly paying someone
    new a lot: the account-takeover pattern)."""

    kind = "new_counterparty"

    min_amount: Decimal
    min_history: int = 1

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        object.__setattr__(
            self, "min_amount", positive_amount(self.min_amount, "min_amount")
        )
        positive_count(self.min_history, "min_history")

    def evaluate(self, context: Context) -> Reason | None:
        source = context.source
        if source is None or source.count < self.min_history:
            return None
        tx = context.transaction
        if tx.target in source.counterparties or tx.amount < self.min_amount:
            return None
        return self._reason(
            f"first transfer to {tx.target}: {tx.amount}",
            f">= {self.min_amount} after {self.min_history} transactions",
        )
