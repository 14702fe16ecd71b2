"""Many senders paying one target: the money-mule pattern."""

from dataclasses import dataclass

from ..types import Reason
from .base import (
    Context,
    WindowedRule,
    is_number,
    known_merchant,
    positive_count,
    require,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class FanInRule(WindowedRule):
    """Fires when a target received from at least ``min_sources`` distinct
    sources within ``window_seconds``: the money-mule pattern. With
    ``new_senders_only`` only sources paying the target for the first time
    count, so a popular shop paid by its regulars does not look like a
    mule. With ``established_after_seconds``, a target first seen at least
    that long ago is an established receiver, and fires only when its
    payments in the window are also at least ``jump_factor`` times its own
    usual number for a window that long (a shop paid by its usual stream of
    new customers is not a mule; a shop account suddenly used as one is).
    A receiver on the merchant list is never taken for a mule."""

    kind = "fan_in"

    min_sources: int
    window_seconds: float
    new_senders_only: bool = False
    established_after_seconds: float | None = None
    jump_factor: float = 3.0

    def __post_init__(self) -> None:
        WindowedRule.__post_init__(self)
        positive_count(self.min_sources, "min_sources")
        require(self.min_sources >= 2, "min_sources must be at least 2")
        after = self.established_after_seconds
        require(
            after is None or (is_number(after) and after > 0),
            "established_after_seconds must be a positive number of seconds",
        )
        require(
            is_number(self.jump_factor) and self.jump_factor >= 1,
            "jump_factor must be a number of at least 1",
        )

    @property
    def window(self) -> float:
        return 0.0  # it looks at the target's payments, not the source's

    @property
    def target_window(self) -> float:
        return float(self.window_seconds)

    def evaluate(self, context: Context) -> Reason | None:
        target = context.target
        if target is None or known_merchant(context):
            return None
        recent = self._recent(target, context)
        payments = len(recent) + 1
        if payments < self.min_sources:
            return None  # too few payments at all: skip the distinct count
        usual = None
        if self._established(target, context.time):
            # Counted before the distinct senders, being cheaper: a shop
            # paid by its usual stream of customers stops here.
            usual = self._usual_payments(target, context.time, len(recent))
            if payments < self.jump_factor * usual:
                return None
        senders = {e[1] for e in recent if e[3] or not self.new_senders_only}
        tx = context.transaction
        source = context.source
        first = source is None or tx.target not in source.counterparties
        if first or not self.new_senders_only:
            senders.add(tx.source)
        if len(senders) < self.min_sources:
            return None
        which = "new " if self.new_senders_only else ""
        observed = f"{len(senders)} distinct {which}sources"
        threshold = f">= {self.min_sources}"
        if usual is not None:
            observed += (
                f", {payments} payments against this established "
                f"receiver's usual {usual:.1f} in a window this long"
            )
            threshold += f" and >= {self.jump_factor}x its usual payments"
        return self._reason(observed, threshold, self.window_seconds)

    def _established(self, target, time: float) -> bool:
        after = self.established_after_seconds
        return after is not None and target.first_seen <= time - after

    def _usual_payments(self, target, time: float, in_window: int) -> float:
        """Payments the target received per ``window_seconds`` before this
        window, over the time it has been known."""
        known_for = max(time - self.window_seconds - target.first_seen, 1.0)
        before = max(target.count - in_window, 0)
        return before * self.window_seconds / known_for
