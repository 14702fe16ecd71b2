"""Many tiny payments from one source: stolen card details being tested."""

from dataclasses import dataclass
from decimal import Decimal

from ..types import Reason
from .base import Context, WindowedRule, positive_amount, positive_count


@dataclass(frozen=True, slots=True, kw_only=True)
class CardTestingRule(WindowedRule):
    """Fires when one source sent at least ``min_count`` small transactions
    (amount below ``small_amount``) within ``window_seconds``: the pattern
    of testing stolen card details with tiny payments."""

    kind = "card_testing"

    small_amount: Decimal
    min_count: int
    window_seconds: float

    def __post_init__(self) -> None:
        WindowedRule.__post_init__(self)
        object.__setattr__(
            self, "small_amount", positive_amount(self.small_amount, "small_amount")
        )
        positive_count(self.min_count, "min_count")

    def evaluate(self, context: Context) -> Reason | None:
        small = float(self.small_amount)
        count = 1 if context.amount < small else 0
        recent = self._recent(context.source, context)
        if len(recent) + count < self.min_count:
            return None  # too few transactions at all: skip the count
        count += sum(e[1] < small for e in recent)
        if count < self.min_count:
            return None
        return self._reason(
            f"{count} transactions below {self.small_amount}",
            f">= {self.min_count}",
            self.window_seconds,
        )
