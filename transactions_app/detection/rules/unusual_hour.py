"""A payment at an hour of day this payer hardly ever pays at."""

from dataclasses import dataclass

from ..types import Reason
from .base import Context, Rule, is_number, positive_count, require


@dataclass(frozen=True, slots=True, kw_only=True)
class UnusualHourRule(Rule):
    """Fires when at most ``max_share`` of the payer's payments fell within
    ``spread_hours`` of this one's hour of day (UTC), once it has
    ``min_history`` payments: a card used at night by someone other than
    its day-time owner. Hours wrap around midnight."""

    kind = "unusual_hour"

    max_share: float = 0.03
    spread_hours: int = 1
    min_history: int = 30

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        require(
            is_number(self.max_share) and 0 <= self.max_share < 1,
            "max_share must be a share from 0 to below 1, such as 0.03",
        )
        require(
            isinstance(self.spread_hours, int)
            and is_number(self.spread_hours)
            and 0 <= self.spread_hours <= 11,
            "spread_hours must be a whole number from 0 to 11",
        )
        positive_count(self.min_history, "min_history")

    def evaluate(self, context: Context) -> Reason | None:
        source = context.source
        if source is None or source.hours.total < self.min_history:
            return None
        share = source.hours.share_near(context.hour, self.spread_hours)
        if share > self.max_share:
            return None
        minute = int(context.time // 60) % 60
        return self._reason(
            f"{context.hour:02d}:{minute:02d} UTC: {share:.1%} of this payer's "
            f"{source.hours.total} payments fell within {self.spread_hours} h of "
            "this hour",
            f"<= {self.max_share:.1%}",
        )
