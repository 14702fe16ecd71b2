"""An amount far above what the source usually pays."""

from dataclasses import dataclass

from ..types import Reason
from .base import Context, Rule, money, positive_count, require


@dataclass(frozen=True, slots=True, kw_only=True)
class AmountAnomalyRule(Rule):
    """Fires when an amount is at least ``factor`` times the source's
    typical amount (the median of its recent amounts), once the source has
    at least ``min_history`` earlier transactions."""

    kind = "amount_anomaly"

    factor: float
    min_history: int = 5

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        require(
            isinstance(self.factor, int | float)
            and not isinstance(self.factor, bool)
            and self.factor > 1,
            "factor must be a number above 1",
        )
        positive_count(self.min_history, "min_history")

    def evaluate(self, context: Context) -> Reason | None:
        source = context.source
        if source is None or len(source.amounts) < self.min_history:
            return None
        typical = source.typical_amount()
        if context.amount < self.factor * typical:
            return None
        return self._reason(
            f"{context.amount / typical:.1f} x typical {money(typical)}",
            f">= {self.factor} x",
        )
