"""Too much money from one source in a short time."""

from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter

from ..types import Reason
from .amount_baseline import POPULATION_MIN_HISTORY
from .base import Context, WindowedRule, is_number, money, positive_amount, require

_AMOUNT = itemgetter(1)
# How many payments of its own a payer needs before its median, rather
# than its currency's, is what ``median_factor`` multiplies.
PAYER_MIN_HISTORY = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class SumInWindowRule(WindowedRule):
    """Fires when the total one source sent within ``window_seconds`` is
    above ``max_total`` (amounts added as numbers, whatever the currency)
    and, when ``median_factor`` is set, also at least that many times the
    payer's median payment (its currency's median while it has fewer than
    5 payments of its own). The factor is what keeps the rule to the scale
    of each account: where amounts run hundreds of times larger (another
    currency unit, a bank's transfers) a fixed total alone would flag
    nearly every payment."""

    kind = "sum_in_window"

    max_total: Decimal
    window_seconds: float
    median_factor: float | None = None

    def __post_init__(self) -> None:
        WindowedRule.__post_init__(self)
        object.__setattr__(
            self, "max_total", positive_amount(self.max_total, "max_total")
        )
        if self.median_factor is not None:
            require(
                is_number(self.median_factor) and self.median_factor >= 1,
                "median_factor must be a number of at least 1",
            )

    def evaluate(self, context: Context) -> Reason | None:
        recent = self._recent(context.source, context)
        total = context.amount + sum(map(_AMOUNT, recent))
        if total <= float(self.max_total):
            return None
        if self.median_factor is None:
            return self._reason(
                money(total), f"> {self.max_total}", self.window_seconds
            )
        typical, whose = self._typical(context)
        if typical is None or total < self.median_factor * typical:
            return None
        return self._reason(
            f"{money(total)} {context.transaction.currency}, "
            f"{total / typical:.1f}x {whose} median of {money(typical)}",
            f"> {self.max_total} and >= {self.median_factor}x the median",
            self.window_seconds,
        )

    @staticmethod
    def _typical(context: Context) -> tuple[float | None, str]:
        """The median payment the total is compared with, and whose it is:
        the payer's, else its currency's population's, else none (a
        currency too new to have a baseline is not judged by size)."""
        source = context.source
        if source is not None and len(source.amounts) >= PAYER_MIN_HISTORY:
            return source.amounts.median(), "this payer's"
        population = context.population
        if population is not None and len(population.amounts) >= POPULATION_MIN_HISTORY:
            return population.amounts.median(), "the currency's"
        return None, ""
