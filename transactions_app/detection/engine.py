"""The engine: runs every rule, adds up the scores, maps them to an outcome."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .rules import AmountThresholdRule
from .types import Outcome, Reason, Transaction, Verdict


class Rule(Protocol):
    """What the engine needs of a rule."""

    name: str
    version: int

    def evaluate(self, transaction: Transaction, now: datetime) -> Reason | None:
        """Return a reason when the rule fires for ``transaction``, else None."""


@dataclass(frozen=True, slots=True)
class OutcomeBands:
    """Score thresholds: at least ``fraud`` is fraud, at least ``review`` is
    review, anything lower is legit."""

    review: int = 50
    fraud: int = 100

    def __post_init__(self) -> None:
        if not 0 < self.review <= self.fraud:
            raise ValueError("Bands need 0 < review <= fraud.")

    def outcome_for(self, score: int) -> Outcome:
        if score >= self.fraud:
            return Outcome.FRAUD
        if score >= self.review:
            return Outcome.REVIEW
        return Outcome.LEGIT


class Engine:
    """Classifies transactions with a fixed set of rules.

    ``clock`` returns the current time; it is used only for rules that need
    to know how late a transaction arrives, never to order events (that is
    what the event timestamp is for).
    """

    def __init__(
        self,
        rules: Sequence[Rule],
        *,
        bands: OutcomeBands | None = None,
        clock: Callable[[], datetime],
    ) -> None:
        self.rules = tuple(rules)
        self.bands = bands or OutcomeBands()
        self.clock = clock

    def classify(self, transaction: Transaction) -> Verdict:
        """Return the verdict for one transaction, with a reason per rule
        that fired."""
        now = self.clock()
        reasons = tuple(
            reason
            for rule in self.rules
            if (reason := rule.evaluate(transaction, now)) is not None
        )
        score = sum(reason.score for reason in reasons)
        return Verdict(self.bands.outcome_for(score), score, reasons)


def default_engine(*, clock: Callable[[], datetime]) -> Engine:
    """The engine with the original rule only: ``amount >= 900`` EUR is
    fraud."""
    return Engine([AmountThresholdRule()], clock=clock)
