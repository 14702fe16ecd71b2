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
from functools import cached_property

from .datasets import DatasetError

OUTCOMES = ("legit", "review", "fraud")
FLAGGED = ("review", "fraud")  # put in front of an analyst


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


# What a labelled transaction that never became a verdict (the detector
# rejected the message to the dead-letter topic) counts as: not flagged.
DEAD_LETTER = "dead letter"


@dataclass(frozen=True, slots=True)
class Judged:
    """One labelled transaction of a dataset and what the detector made of
    it: its outcome, score and the rules that fired, and with a model in
    force its probability of fraud."""

    transaction_id: str
    is_fraud: bool
    case: str
    outcome: str
    score: int = 0
    rules: tuple[str, ...] = ()
    probability: float | None = None

    @property
    def ranking(self) -> float:
        """What the average precision ranks by: the score, and within one
        score the model's probability (below the next point, so it never
        reorders two scores)."""
        return self.score + 0.999 * (self.probability or 0.0)

    @property
    def flagged(self) -> bool:
        return self.outcome in FLAGGED


@dataclass
class DatasetReport:
    """Detection quality over a labelled dataset. A case is an attack
    episode (a fraud without one is a case of its own), caught when at
    least one of its transactions was flagged; the average precision ranks
    every transaction by score, the one number that does not depend on
    where the outcome bands are drawn."""

    title: str
    cases: set = field(default_factory=set)
    caught: set = field(default_factory=set)
    confusion: Counter = field(default_factory=Counter)  # (label, outcome)
    false_positive_rules: Counter = field(default_factory=Counter)
    scored: list = field(default_factory=list, repr=False)  # (ranking, is_fraud)
    # (probability, is_fraud) of the model in force, where there was one
    modelled: list = field(default_factory=list, repr=False)

    @property
    def fraud(self) -> int:
        return sum(n for (label, _), n in self.confusion.items() if label == "fraud")

    @property
    def legit(self) -> int:
        return sum(n for (label, _), n in self.confusion.items() if label == "legit")

    @property
    def fraud_flagged(self) -> int:
        return self._flagged("fraud")

    @property
    def legit_flagged(self) -> int:
        return self._flagged("legit")

    def _flagged(self, label: str) -> int:
        return sum(self.confusion[(label, outcome)] for outcome in FLAGGED)

    @cached_property
    def average_precision(self) -> float:
        return average_precision(self.scored)

    @cached_property
    def model_average_precision(self) -> float | None:
        """The model's own ranking by probability; None without a model."""
        return average_precision(self.modelled) if self.modelled else None

    @property
    def precision(self) -> float:
        flagged = self.legit_flagged + self.fraud_flagged
        return self.fraud_flagged / flagged if flagged else 0.0

    @property
    def recall(self) -> float:
        return self.fraud_flagged / self.fraud if self.fraud else 0.0

    @property
    def case_recall(self) -> float:
        return len(self.caught) / len(self.cases) if self.cases else 0.0

    @property
    def false_positive_rate(self) -> float:
        return self.legit_flagged / self.legit if self.legit else 0.0

    def confusion_text(self) -> str:
        outcomes = [*OUTCOMES, DEAD_LETTER]
        lines = [
            f"{self.title}: label \\ outcome",
            "",
            "| label | " + " | ".join(outcomes) + " |",
            "|---|" + "---:|" * len(outcomes),
        ]
        for label in ("fraud", "legit"):
            counts = [str(self.confusion[(label, o)]) for o in outcomes]
            lines.append(f"| {label} | " + " | ".join(counts) + " |")
        fired = ", ".join(
            f"{n} {c}" for n, c in self.false_positive_rules.most_common()
        )
        lines += ["", f"Rules that fired on the false positives: {fired or 'none'}"]
        return "\n".join(lines)


def dataset_report(title: str, judged: Iterable[Judged]) -> DatasetReport:
    """The figures of ``judged``, every labelled transaction once."""
    report = DatasetReport(title)
    for item in judged:
        label = "fraud" if item.is_fraud else "legit"
        report.confusion[(label, item.outcome)] += 1
        report.scored.append((item.ranking, item.is_fraud))
        if item.probability is not None:
            report.modelled.append((item.probability, item.is_fraud))
        if item.is_fraud:
            case = item.case or item.transaction_id
            report.cases.add(case)
            if item.flagged:
                report.caught.add(case)
        elif item.flagged:
            report.false_positive_rules.update(item.rules)
    return report


def precision_recall_curve(scored: list[tuple[float, bool]]) -> list[tuple]:
    """``(threshold, recall, precision)`` for each distinct score, highest
    first: flagging everything scored at or above the threshold.
    Transactions with equal scores are taken together, as a threshold
    cannot part them. Empty without fraud."""
    positives = sum(is_fraud for _, is_fraud in scored)
    if not positives:
        return []
    by_score: dict[float, list[int]] = defaultdict(lambda: [0, 0])
    for score, is_fraud in scored:
        by_score[score][0 if is_fraud else 1] += 1
    points, true, false = [], 0, 0
    for score in sorted(by_score, reverse=True):
        fraud, legit = by_score[score]
        true, false = true + fraud, false + legit
        points.append((score, true / positives, true / (true + false)))
    return points


def average_precision(scored: list[tuple[float, bool]]) -> float:
    """The area under the precision-recall curve of ranking by score, as a
    step function over the distinct scores: the sum over thresholds of the
    recall gained times the precision there."""
    area, last_recall = 0.0, 0.0
    for _score, recall, precision in precision_recall_curve(scored):
        area += (recall - last_recall) * precision
        last_recall = recall
    return area


def _model_average_precision(report: DatasetReport) -> str:
    value = report.model_average_precision
    return "-" if value is None else f"{value:.3f}"


def side_by_side(reports: list[DatasetReport]) -> str:
    """The headline figures of several runs over the same data, a column
    each (the rules in force beside the tutorial's rule alone)."""
    rows = [
        ("precision", lambda r: f"{r.precision:.3f}"),
        ("recall (transactions)", lambda r: f"{r.recall:.3f}"),
        ("recall (cases)", lambda r: f"{r.case_recall:.3f}"),
        ("false-positive rate", lambda r: f"{r.false_positive_rate:.2%}"),
        ("average precision of the score", lambda r: f"{r.average_precision:.3f}"),
        ("average precision of the model alone", _model_average_precision),
        ("fraud flagged", lambda r: f"{r.fraud_flagged} of {r.fraud}"),
        ("legit flagged", lambda r: f"{r.legit_flagged} of {r.legit}"),
        ("cases caught", lambda r: f"{len(r.caught)} of {len(r.cases)}"),
    ]
    lines = [
        "| | " + " | ".join(r.title for r in reports) + " |",
        "|---|" + "---:|" * len(reports),
    ]
    for name, show in rows:
        lines.append(f"| {name} | " + " | ".join(show(r) for r in reports) + " |")
    return "\n".join(lines)


def sent_before(times: dict, start) -> frozenset:
    """The ids whose event time in ``times`` (epoch seconds) is before
    ``start`` (none without one): they feed the detectors, the figures
    leave them out."""
    if start is None:
        return frozenset()
    cut = start.timestamp()
    return frozenset(tid for tid, t in times.items() if t < cut)


def judged_against(truth: dict, verdicts: dict, left_out=frozenset()) -> list[Judged]:
    """Every labelled transaction with its verdict, but those ``left_out``
    (before the measured period); one never judged (a dead letter) counts
    as not flagged. A verdict for a transaction the labels do not name is
    an error: the files do not match."""
    unlabelled = verdicts.keys() - truth.keys() - left_out
    if unlabelled:
        raise DatasetError(
            f"{len(unlabelled)} transactions have no label, e.g. {min(unlabelled)}"
        )
    judged = []
    for tid, label in truth.items():
        if tid in left_out:
            continue
        verdict = verdicts.get(tid)
        if verdict is None:
            judged.append(Judged(tid, label.is_fraud, label.case, DEAD_LETTER))
            continue
        rules = tuple(reason.rule for reason in verdict.reasons)
        judged.append(
            Judged(
                tid,
                label.is_fraud,
                label.case,
                verdict.outcome.value,
                verdict.score,
                rules,
                verdict.probability,
            )
        )
    return judged
