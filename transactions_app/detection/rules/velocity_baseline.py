"""More payments in a short time than this payer's own usual rate."""

from dataclasses import dataclass

from ..types import Reason
from .base import Context, WindowedRule, is_number, positive_count, require


@dataclass(frozen=True, slots=True, kw_only=True)
class VelocityBaselineRule(WindowedRule):
    """Fires when the payer sent at least ``min_count`` payments within
    ``window_seconds`` and at least ``factor`` times what its own usual rate
    (its payments over the time it has been known, at least
    ``min_history_seconds``) would send in a window that long. A busy payer
    is judged against its busy normal, a quiet one against its quiet one."""

    kind = "velocity_baseline"

    window_seconds: float
    factor: float = 10.0
    min_count: int = 3
    min_history_seconds: float = 7 * 86400

    def __post_init__(self) -> None:
        WindowedRule.__post_init__(self)
        require(
            is_number(self.factor) and self.factor > 1,
            "factor must be a number above 1",
        )
        positive_count(self.min_count, "min_count")
        require(
            is_number(self.min_history_seconds) and self.min_history_seconds > 0,
            "min_history_seconds must be a positive number of seconds",
        )

    def evaluate(self, context: Context) -> Reason | None:
        source = context.source
        if source is None:
            return None
        known_for = context.time - source.first_seen
        if known_for < self.min_history_seconds:
            return None
        recent = self._recent(source, context)
        count = len(recent) + 1
        if count < self.min_count:
            return None
        before = source.count - len(recent)
        usual = before * self.window_seconds / max(known_for - self.window_seconds, 1.0)
        if count < self.factor * usual:
            return None
        return self._reason(
            f"{count} payments against this payer's usual {usual:.2f} in a "
            "window this long",
            f">= {self.min_count} and >= {self.factor}x its usual rate",
            self.window_seconds,
        )
