"""Several payments unusually large for this payer in a short time: a
compromised card or account being emptied."""

from dataclasses import dataclass

from ..types import Reason
from .amount_baseline import check_factor_and_share, unusual_amount
from .base import Context, WindowedRule, positive_count, require


@dataclass(frozen=True, slots=True, kw_only=True)
class AmountSpreeRule(WindowedRule):
    """Fires when this payment and at least ``min_count - 1`` others from
    the same payer within ``window_seconds`` are each unusually large for
    it (at least ``factor`` times its median and above ``above_share`` of
    its last payments; see ``amount_baseline``), once it has
    ``min_history`` payments. One large payment is a purchase; several in
    a day is a pattern."""

    kind = "amount_spree"

    min_count: int
    window_seconds: float
    factor: float = 3.0
    above_share: float = 0.9
    min_history: int = 20

    def __post_init__(self) -> None:
        WindowedRule.__post_init__(self)
        positive_count(self.min_count, "min_count")
        require(self.min_count >= 2, "min_count must be at least 2")
        check_factor_and_share(self.factor, self.above_share)
        positive_count(self.min_history, "min_history")

    def evaluate(self, context: Context) -> Reason | None:
        source = context.source
        if source is None or len(source.amounts) < self.min_history:
            return None
        amounts = source.amounts
        typical = unusual_amount(amounts, context.amount, self.factor, self.above_share)
        if typical is None:
            return None
        recent = self._recent(source, context)
        if len(recent) + 1 < self.min_count:
            return None
        # The same test as unusual_amount, against the median found above.
        floor, share, below = (
            self.factor * typical,
            self.above_share,
            amounts.share_below,
        )
        count = 1 + sum(1 for e in recent if e[1] >= floor and below(e[1]) >= share)
        if count < self.min_count:
            return None
        return self._reason(
            f"{count} payments unusually large for this payer "
            f"(>= {self.factor}x its median of {typical:.2f}) within the window",
            f">= {self.min_count}",
            self.window_seconds,
        )
