"""Too many transactions from one source in a short time."""

from dataclasses import dataclass

from ..types import Reason
from .base import Context, WindowedRule, positive_count


@dataclass(frozen=True, slots=True, kw_only=True)
class VelocityRule(WindowedRule):
    """Fires when one source sent more than ``max_count`` transactions
    within ``window_seconds``."""

    kind = "velocity"

    max_count: int
    window_seconds: float

    def __post_init__(self) -> None:
        WindowedRule.__post_init__(self)
        positive_count(self.max_count, "max_count")

    def evaluate(self, context: Context) -> Reason | None:
        count = 1 + len(self._recent(context.source, context))
        if count <= self.max_count:
            return None
        return self._reason(
            f"{count} transactions", f"> {self.max_count}", self.window_seconds
        )
