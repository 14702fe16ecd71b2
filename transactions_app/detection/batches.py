"""A batch judged by the rules, waiting for what the models make of it.

Judging (the rules, the features, the state) must happen in order on the
thread that owns the engine; the models' part reads nothing of the engine,
only the batch's features and the models captured with it, so it can run
later, on another thread, while the next batch is judged.
"""

from dataclasses import dataclass, field, replace

from .features import FeatureRows
from .learned import REASON_NAME, LearnedScore
from .ruleset import RuleSet
from .types import Verdict


@dataclass
class JudgedBatch:
    """``fired``: the rules' reasons that fired on each transaction;
    ``values``: each one's features; the models in force then. ``done``:
    the verdicts already, when no model was in force or in shadow."""

    ruleset: RuleSet
    fired: list = field(default_factory=list)
    values: FeatureRows = field(default_factory=FeatureRows)
    learned: LearnedScore | None = None
    shadow: LearnedScore | None = None
    done: list[Verdict] | None = None

    def verdicts(self) -> list[Verdict]:
        """The verdicts, in order: the rules' reasons with the learned
        score's where it fires (one prediction for the batch, explained
        where it fires), and the shadow's probability beside them."""
        if self.done is not None:
            return self.done
        ruleset, learned, shadow = self.ruleset, self.learned, self.shadow
        if learned is None:
            verdicts = [ruleset.verdict(reasons) for reasons in self.fired]
        else:
            verdicts = self._with_learned(learned)
        if shadow is not None:
            shadowed = shadow.probabilities(shadow.rows(self.values))
            verdicts = [
                replace(v, shadow_version=shadow.version, shadow_probability=p)
                for v, p in zip(verdicts, shadowed, strict=True)
            ]
        return verdicts

    def _with_learned(self, learned: LearnedScore) -> list[Verdict]:
        rows = learned.rows(self.values)
        probabilities = learned.probabilities(rows)
        versions = self.ruleset.versions | {REASON_NAME: learned.version}
        reasons = learned.reasons(rows, probabilities)
        return [
            self.ruleset.verdict((*rules, extra) if extra else rules, versions, p)
            for rules, extra, p in zip(self.fired, reasons, probabilities, strict=True)
        ]
