"""Too much money from one source in a short time."""

from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter

from ..types import Reason
from .base import Context, WindowedRule, money, positive_amount

_AMOUNT = itemgetter(1)


@dataclass(frozen=True, slots=True, kw_only=True)
class SumInWindowRule(WindowedRule):
    """Fires when the total one source sent within ``window_seconds`` is
    above ``max_total`` (amounts added as numbers, whatever the currency)."""

    kind = "sum_in_window"

    max_total: Decimal
    window_seconds: float

    def __post_init__(self) -> None:
        WindowedRule.__post_init__(self)
        object.__setattr__(
            self, "max_total", positive_amount(self.max_total, "max_total")
        )

    def evaluate(self, context: Context) -> Reason | None:
        recent = self._recent(context.source, context)
        total = context.amount + sum(map(_AMOUNT, recent))
        if total <= float(self.max_total):
            return None
        return self._reason(money(total), f"> {self.max_total}", self.window_seconds)
