"""Detection quality: compare verdicts with the producer's ground truth.

Definitions used in the report:

- a transaction is *flagged* when its outcome is review or fraud;
- *precision*: of the flagged transactions, the share labelled fraud;
- *recall* of a scenario, per episode: the share of its episodes in which
  at least one transaction was flagged (the attack was caught, which is
  what puts it in front of an analyst); per transaction: the share of its
  transactions flagged (the first few of a burst are, by nature, only
  recognisable in hindsight);
- the confusion matrix counts labels against outcomes.

Transactions labelled ``warmup`` (legit traffic before the measurement,
so accounts have history as in a long-running system) are left out.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

OUTCOMES = ("legit", "review", "fraud")


@dataclass
class ScenarioScore:
    transactions: int = 0
    flagged: int = 0
    episodes: set = field(default_factory=set)
    caught: set = field(default_factory=set)

    @property
    def episode_recall(self) -> float:
        return len(self.caught) / len(self.episodes) if self.episodes else 0.0

    @property
    def transaction_recall(self) -> float:
        return self.flagged / self.transactions if self.transactions else 0.0


@dataclass
class Report:
    scenarios: dict[str, ScenarioScore]
    confusion: dict[str, Counter]
    legit_total: int
    legit_flagged: int

    @property
    def flagged(self) -> int:
        return self.legit_flagged + sum(s.flagged for s in self.scenarios.values())

    @property
    def precision(self) -> float:
        return 1.0 - self.legit_flagged / self.flagged if self.flagged else 0.0

    @property
    def false_positive_rate(self) -> float:
        return self.legit_flagged / self.legit_total if self.legit_total else 0.0

    def as_text(self) -> str:
        lines = [
            "| scenario | episodes | caught | recall (episodes) | transactions "
            "| flagged | recall (transactions) |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name, score in sorted(self.scenarios.items()):
            lines.append(
                f"| {name} | {len(score.episodes)} | {len(score.caught)} "
                f"| {score.episode_recall:.3f} | {score.transactions} "
                f"| {score.flagged} | {score.transaction_recall:.3f} |"
            )
        lines += [
            "",
            f"Precision (flagged transactions that are fraud): {self.precision:.3f} "
            f"({self.flagged - self.legit_flagged} of {self.flagged})",
            "False positive rate (legit transactions flagged): "
            f"{self.false_positive_rate:.4f} "
            f"({self.legit_flagged} of {self.legit_total})",
            "",
            "| label \\ outcome | " + " | ".join(OUTCOMES) + " |",
            "|---|" + "---:|" * len(OUTCOMES),
        ]
        for label in sorted(self.confusion):
            counts = self.confusion[label]
            lines.append(
                f"| {label} | " + " | ".join(str(counts[o]) for o in OUTCOMES) + " |"
            )
        return "\n".join(lines)


def evaluate(results: Iterable[tuple[str, str, str]]) -> Report:
    """``results``: (label, episode, outcome) per transaction."""
    scenarios: dict[str, ScenarioScore] = defaultdict(ScenarioScore)
    confusion: dict[str, Counter] = defaultdict(Counter)
    legit_total = legit_flagged = 0
    for label, episode, outcome in results:
        if label == "warmup":
            continue
        confusion[label][outcome] += 1
        flagged = outcome != "legit"
        if label == "legit":
            legit_total += 1
            legit_flagged += flagged
            continue
        score = scenarios[label]
        score.transactions += 1
        score.flagged += flagged
        score.episodes.add(episode)
        if flagged:
            score.caught.add(episode)
    return Report(dict(scenarios), dict(confusion), legit_total, legit_flagged)
