"""Many tiny payments from one source: stolen card details being tested."""

from dataclasses import dataclass
from decimal import Decimal

from ..types import Reason
from .amount_baseline import POPULATION_MIN_HISTORY
from .base import (
    Context,
    WindowedRule,
    is_number,
    money,
    positive_amount,
    positive_count,
    require,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CardTestingRule(WindowedRule):
    """Fires when one source sent at least ``min_count`` small transactions
    within ``window_seconds``: the pattern of testing stolen card details
    with tiny payments. Small is below ``small_amount`` or, when
    ``small_share`` is set, among the smallest ``small_share`` of recent
    payments in the transaction's currency (so a tiny payment is
    recognised in a currency hundreds of times the euro, where 2.00 is
    nothing at all)."""

    kind = "card_testing"

    small_amount: Decimal
    min_count: int
    window_seconds: float
    small_share: float | None = None

    def __post_init__(self) -> None:
        WindowedRule.__post_init__(self)
        object.__setattr__(
            self, "small_amount", positive_amount(self.small_amount, "small_amount")
        )
        positive_count(self.min_count, "min_count")
        if self.small_share is not None:
            require(
                is_number(self.small_share) and 0 < self.small_share < 0.5,
                "small_share must be a share between 0 and 0.5, such as 0.01",
            )

    def evaluate(self, context: Context) -> Reason | None:
        recent = self._recent(context.source, context)
        if len(recent) + 1 < self.min_count:
            return None  # too few transactions at all: skip the count
        small = self._small(context)
        count = (context.amount < small) + sum(e[1] < small for e in recent)
        if count < self.min_count:
            return None
        return self._reason(
            f"{count} transactions below {money(small)} {context.transaction.currency}",
            f">= {self.min_count}",
            self.window_seconds,
        )

    def _small(self, context: Context) -> float:
        """The amount below which a payment counts as small here: the
        larger of ``small_amount`` and the currency population's
        ``small_share`` quantile, once it has a baseline."""
        small = float(self.small_amount)
        population = context.population
        if (
            self.small_share is None
            or population is None
            or len(population.amounts) < POPULATION_MIN_HISTORY
        ):
            return small
        return max(small, population.amounts.quantile(self.small_share))
