"""An amount far above what this payer, or a payer new to us, usually
pays: the threshold follows each account's own scale."""

from dataclasses import dataclass

from ..baselines import AmountProfile
from ..types import Reason
from .base import Context, Rule, is_number, money, positive_count, require

# How many sampled payments the population of a currency needs before it
# serves as the baseline of payers without history of their own.
POPULATION_MIN_HISTORY = 200


def unusual_amount(
    profile: AmountProfile, amount: float, factor: float, above_share: float
) -> float | None:
    """The median of ``profile`` when ``amount`` is at least ``factor``
    times it and above ``above_share`` of the profile's amounts; else None.
    Both tests, because a median alone flags every payer with a few large
    habits, and a share alone flags every payer whose amounts hardly vary."""
    typical = profile.median()
    if typical is None or amount < factor * typical:
        return None
    if profile.share_below(amount) < above_share:
        return None
    return typical


def check_factor_and_share(factor, share, share_name: str = "above_share") -> None:
    """Raise ``RuleConfigError`` naming the parameter unless ``factor`` is
    at least 1 and ``share`` strictly between 0 and 1."""
    require(
        is_number(factor) and factor >= 1,
        "factor must be a number of at least 1",
    )
    require(
        is_number(share) and 0 < share < 1,
        f"{share_name} must be a share between 0 and 1, such as 0.95",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class AmountBaselineRule(Rule):
    """Fires when an amount is at least ``factor`` times the payer's median
    and above ``above_share`` of its last payments, once the payer has
    ``min_history`` of them. A payer with fewer is compared with every
    payer in the currency instead (its population), when
    ``population_above_share`` is set: the cold start."""

    kind = "amount_baseline"

    factor: float
    above_share: float = 0.95
    min_history: int = 20
    population_above_share: float | None = None

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        check_factor_and_share(self.factor, self.above_share)
        positive_count(self.min_history, "min_history")
        if self.population_above_share is not None:
            check_factor_and_share(
                self.factor, self.population_above_share, "population_above_share"
            )

    def evaluate(self, context: Context) -> Reason | None:
        source = context.source
        if source is not None and len(source.amounts) >= self.min_history:
            return self._against_payer(context, source.amounts)
        if self.population_above_share is None or context.population is None:
            return None
        return self._against_population(context, context.population.amounts)

    def _against_payer(self, context: Context, amounts: AmountProfile):
        typical = unusual_amount(amounts, context.amount, self.factor, self.above_share)
        if typical is None:
            return None
        return self._reason(
            f"{money(context.amount)} {context.transaction.currency} is "
            f"{context.amount / typical:.1f}x this payer's median of "
            f"{money(typical)}, above {amounts.share_below(context.amount):.0%} "
            f"of its last {len(amounts)} payments",
            f">= {self.factor}x the median and above {self.above_share:.0%}",
        )

    def _against_population(self, context: Context, amounts: AmountProfile):
        if len(amounts) < POPULATION_MIN_HISTORY:
            return None
        share = self.population_above_share
        typical = unusual_amount(amounts, context.amount, self.factor, share)
        if typical is None:
            return None
        history = len(context.source.amounts) if context.source else 0
        currency = context.transaction.currency
        return self._reason(
            f"{money(context.amount)} {currency} from a payer with {history} "
            f"earlier payments is above {amounts.share_below(context.amount):.1%} "
            f"of recent {currency} payments (median {money(typical)})",
            f">= {self.factor}x the median and above {share:.1%} "
            f"(fewer than {self.min_history} payments of its own)",
        )
