"""Many senders paying one target: the money-mule pattern."""

from dataclasses import dataclass

from ..types import Reason
from .base import Context, WindowedRule, positive_count, require


@dataclass(frozen=True, slots=True, kw_only=True)
class FanInRule(WindowedRule):
    """Fires when a target received from at least ``min_sources`` distinct
    sources within ``window_seconds``: the money-mule pattern. With
    ``new_senders_only`` only sources paying the target for the first time
    count, so a popular shop paid by its regulars does not look like a
    mule."""

    kind = "fan_in"

    min_sources: int
    window_seconds: float
    new_senders_only: bool = False

    def __post_init__(self) -> None:
        WindowedRule.__post_init__(self)
        positive_count(self.min_sources, "min_sources")
        require(self.min_sources >= 2, "min_sources must be at least 2")

    @property
    def window(self) -> float:
        return 0.0  # it looks at the target's payments, not the source's

    @property
    def target_window(self) -> float:
        return float(self.window_seconds)

    def evaluate(self, context: Context) -> Reason | None:
        if context.target is None:
            return None
        recent = self._recent(context.target, context)
        if len(recent) + 1 < self.min_sources:
            return None  # too few payments at all: skip the distinct count
        senders = {e[1] for e in recent if e[3] or not self.new_senders_only}
        tx = context.transaction
        source = context.source
        first = source is None or tx.target not in source.counterparties
        if first or not self.new_senders_only:
            senders.add(tx.source)
        if len(senders) < self.min_sources:
            return None
        which = "new " if self.new_senders_only else ""
        return self._reason(
            f"{len(senders)} distinct {which}sources",
            f">= {self.min_sources}",
            self.window_seconds,
        )
