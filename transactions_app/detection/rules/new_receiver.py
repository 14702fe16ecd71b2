"""A first payment to a receiver that has hardly been paid before: a
newly active account, as a mule is, rather than an established shop."""

from dataclasses import dataclass

from ..types import Reason
from .base import Context, Rule, is_number, known_merchant, require


@dataclass(frozen=True, slots=True, kw_only=True)
class NewReceiverRule(Rule):
    """Fires on a payer's first payment to a receiver that received at most
    ``max_payments`` payments before, from anyone, as far as the detector
    remembers (a receiver idle past the state's time-to-live is new again).
    ``min_amount_factor`` above 0 also asks the amount to be at least that
    many times the payer's median, so small first purchases pass. A
    receiver on the merchant list is never new."""

    kind = "new_receiver"

    max_payments: int = 10
    min_amount_factor: float = 0.0

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        require(
            isinstance(self.max_payments, int)
            and is_number(self.max_payments)
            and self.max_payments >= 0,
            "max_payments must be a whole number of at least 0",
        )
        require(
            is_number(self.min_amount_factor) and self.min_amount_factor >= 0,
            "min_amount_factor must be a number of at least 0",
        )

    def evaluate(self, context: Context) -> Reason | None:
        tx, source, target = context.transaction, context.source, context.target
        if source is not None and tx.target in source.counterparties:
            return None
        if known_merchant(context):
            return None
        received = target.count if target is not None else 0
        if received > self.max_payments:
            return None
        if self.min_amount_factor and not self._large_for_payer(context):
            return None
        return self._reason(
            f"first payment to {tx.target}, which received {received} payments before",
            f"<= {self.max_payments}",
        )

    def _large_for_payer(self, context: Context) -> bool:
        typical = context.source.typical_amount() if context.source else None
        return (
            typical is not None and context.amount >= self.min_amount_factor * typical
        )
