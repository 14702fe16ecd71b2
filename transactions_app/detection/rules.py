"""Rule types. A rule looks at a transaction and either fires or not.

A rule that fires returns a ``Reason`` carrying its score weight; the engine
adds up the weights. Rules never read the wall clock: the engine passes in
the current time.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .types import Reason, Transaction


@dataclass(frozen=True, slots=True)
class AmountThresholdRule:
    """Fires when a single transaction's amount is at least ``threshold``.

    The default instance is the original tutorial rule: a transaction is
    suspicious iff ``amount >= 900``. The threshold applies to amounts in
    ``currency`` only; other currencies are not compared against it.
    """

    threshold: Decimal = Decimal("900")
    currency: str = "EUR"
    weight: int = 100
    name: str = "amount_threshold"
    version: int = 1

    def evaluate(self, transaction: Transaction, now: datetime) -> Reason | None:
        if transaction.currency != self.currency:
            return None
        if transaction.amount < self.threshold:
            return None
        return Reason(
            rule=self.name,
            version=self.version,
            observed=f"{transaction.amount} {transaction.currency}",
            threshold=f">= {self.threshold} {self.currency}",
            score=self.weight,
            description="Single transaction amount at or above the threshold.",
        )
