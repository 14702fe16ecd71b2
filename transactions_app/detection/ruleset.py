"""The rules in force as one value, and the bands that turn a score into
an outcome."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from .rules import Rule
from .types import Outcome, Verdict

SEVERITY = {Outcome.LEGIT: 0, Outcome.REVIEW: 1, Outcome.FRAUD: 2}


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


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules in force, the bands, and the account lists, as one value
    that the engine swaps atomically when the configuration changes."""

    rules: tuple[Rule, ...] = ()
    bands: OutcomeBands = field(default_factory=OutcomeBands)
    lists: dict[str, frozenset[str]] = field(default_factory=dict)
    versions: dict[str, int] = field(init=False, compare=False)
    longest_window: float = field(init=False, compare=False)
    longest_target_window: float = field(init=False, compare=False)
    attribute_fields: tuple[str, ...] = field(init=False, compare=False)
    nothing_fired: Verdict = field(init=False, compare=False)

    def __post_init__(self) -> None:
        # Derived once: every verdict records the versions in force.
        versions = {rule.name: rule.version for rule in self.rules}
        object.__setattr__(self, "versions", versions)
        longest = max((rule.window for rule in self.rules), default=0.0)
        object.__setattr__(self, "longest_window", longest)
        target = max((rule.target_window for rule in self.rules), default=0.0)
        object.__setattr__(self, "longest_target_window", target)
        watched = sorted(
            {name for rule in self.rules for name in rule.attribute_fields}
        )
        object.__setattr__(self, "attribute_fields", tuple(watched))
        # The verdict when no rule fires, shared: verdicts are immutable.
        legit = Verdict(self.bands.outcome_for(0), 0, (), versions)
        object.__setattr__(self, "nothing_fired", legit)

    def verdict(self, reasons: Sequence, versions=None, probability=None) -> Verdict:
        """The verdict of ``reasons``: their score in the bands, raised to
        the most severe outcome a reason forces. ``versions``: what was in
        force, when more than the rules; ``probability``: the learned
        score's, with a model in force."""
        if not reasons and versions is None:
            return self.nothing_fired
        score = sum(reason.score for reason in reasons)
        outcome = self.bands.outcome_for(score)
        for reason in reasons:
            if reason.force is not None and SEVERITY[reason.force] > SEVERITY[outcome]:
                outcome = reason.force
        versions = versions or self.versions
        return Verdict(outcome, score, tuple(reasons), versions, probability)
