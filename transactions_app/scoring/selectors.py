"""Reads of model versions, the learned scores built from the ones in
force and in shadow, and how a candidate in shadow compares."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.db.models import Count, Max, Min, Q

from ..detection.learned import LearnedScore
from ..models import ModelDrift, ModelVersion, ReviewStatus, Transaction
from .artefact import Scorer, TrainedModel
from .drift import psi


def model_version_live() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelVersion.Status.LIVE).first()


def model_version_shadowing() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelVersion.Status.SHADOW).first()


def model_version_named(name: str) -> ModelVersion | None:
    """``live``: the version in force; digits: that version's number."""
    if name == "live":
        return model_version_live()
    return ModelVersion.objects.filter(number=int(name)).first()


def models_fingerprint() -> tuple:
    """Changes whenever a model version is added or changes status; two
    cheap aggregates a running detector polls beside the rules'."""
    versions = ModelVersion.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    return (versions["n"], versions["t"])


def learned_score(version: ModelVersion) -> LearnedScore:
    """The version ready to serve: its trees loaded, with its bands.
    Raises ``ValueError`` when its artefact cannot be read."""
    model = TrainedModel.from_bytes(bytes(version.artefact))
    return LearnedScore(
        Scorer(model),
        version=version.number,
        review_at=version.review_at,
        fraud_at=version.fraud_at,
        review_weight=version.review_weight,
        fraud_weight=version.fraud_weight,
    )


def learned_score_from_file(path: Path) -> LearnedScore:
    """A model ``trainmodel --output`` wrote, served as version 0 with the
    default bands. Raises ``OSError`` or ``ValueError`` naming the problem."""
    return LearnedScore(Scorer(TrainedModel.from_bytes(path.read_bytes())), version=0)


def learned_score_live() -> LearnedScore | None:
    """The learned score in force, or None when no model is."""
    version = model_version_live()
    return None if version is None else learned_score(version)


BINS = 10  # score distributions: probabilities in tenths


@dataclass(frozen=True)
class Side:
    """One side of a comparison: what it flagged among the transactions
    scored, and how those flags fare against the analysts' decisions."""

    name: str
    flagged: int
    flagged_decided: int
    flagged_confirmed: int
    confirmed: int
    distribution: tuple[int, ...]

    @property
    def precision(self) -> float | None:
        """Confirmed fraud among its flags that analysts decided on."""
        return _share(self.flagged_confirmed, self.flagged_decided)

    @property
    def recall(self) -> float | None:
        """Of the fraud analysts confirmed, the share it flagged."""
        return _share(self.flagged_confirmed, self.confirmed)


@dataclass(frozen=True)
class ShadowComparison:
    """A candidate scored in shadow beside what was in force, over the
    transactions it scored (``since`` the first)."""

    scored: int
    since: datetime | None
    agreed: int
    candidate: Side
    in_force: Side

    @property
    def agreement(self) -> float | None:
        """The share of transactions both flag, or both leave."""
        return _share(self.agreed, self.scored)


def shadow_comparison(version: ModelVersion) -> ShadowComparison:
    """How ``version`` scored in shadow against the model in force (each
    flagging at its own ``review_at``; with no model in force, against the
    verdicts, the rules'), in one query over the transactions it scored."""
    live = model_version_live()
    candidate = Q(shadow_probability__gte=version.review_at)
    if live is None:
        in_force = Q(outcome__in=Transaction.FLAGGED_OUTCOMES)
        in_force_name = "the rules' verdicts (no model in force)"
    else:
        in_force = Q(model_probability__gte=live.review_at)
        in_force_name = f"model v{live.number}, in force"
    decided = Q(review_status__in=(ReviewStatus.CONFIRMED, ReviewStatus.FALSE_POSITIVE))
    confirmed = Q(review_status=ReviewStatus.CONFIRMED)
    aggregates = {
        "scored": Count("id"),
        "since": Min("received_at"),
        "confirmed": Count("id", filter=confirmed),
        "agreed": Count("id", filter=(candidate & in_force) | (~candidate & ~in_force)),
    }
    for side, flag in (("candidate", candidate), ("in_force", in_force)):
        aggregates[f"{side}_flagged"] = Count("id", filter=flag)
        aggregates[f"{side}_decided"] = Count("id", filter=flag & decided)
        aggregates[f"{side}_confirmed"] = Count("id", filter=flag & confirmed)
    for field, prefix in (("shadow_probability", "c"), ("model_probability", "f")):
        for low, high in _bins():
            aggregates[f"{prefix}{low}"] = Count(
                "id", filter=Q(**{f"{field}__gte": low / BINS, f"{field}__lt": high})
            )
    counts = Transaction.objects.filter(shadow_version=version.number).aggregate(
        **aggregates
    )
    return ShadowComparison(
        scored=counts["scored"],
        since=counts["since"],
        agreed=counts["agreed"],
        candidate=_side(counts, "candidate", f"model v{version.number}", "c"),
        in_force=_side(counts, "in_force", in_force_name, "f"),
    )


def _bins():
    """Each tenth's bounds; the last one holds 1.0 too."""
    return [(low, (low + 1) / BINS if low < BINS - 1 else 2.0) for low in range(BINS)]


def _side(counts: dict, side: str, name: str, prefix: str) -> Side:
    return Side(
        name=name,
        flagged=counts[f"{side}_flagged"],
        flagged_decided=counts[f"{side}_decided"],
        flagged_confirmed=counts[f"{side}_confirmed"],
        confirmed=counts["confirmed"],
        distribution=tuple(counts[f"{prefix}{low}"] for low, _ in _bins()),
    )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class DriftReport:
    """How live traffic drifted from the training window of the model in
    force over the last ``hours``: the PSI of its probability and of each
    feature (largest first), and the probability's PSI hour by hour."""

    number: int
    hours: float
    rows: int
    score_psi: float | None
    features: list[tuple[str, float | None]]
    hourly: list[tuple[float, float | None]]  # (hour start, epoch s; PSI)


def model_drift_report(*, hours: float = 24.0, now: datetime) -> DriftReport | None:
    """The drift of the model in force (None without one, or without a
    reference in its training record) from the counts detectors wrote."""
    live = model_version_live()
    window = live.training.get("reference") if live is not None else None
    if window is None:
        return None
    snapshots = ModelDrift.objects.filter(
        version=live, recorded_at__gte=now - timedelta(hours=hours)
    ).values_list("recorded_at", "counts")
    total, by_hour = None, {}
    for recorded_at, counts in snapshots.iterator():
        total = _summed(total, counts)
        hour = recorded_at.timestamp() // 3600 * 3600
        by_hour[hour] = _summed(by_hour.get(hour), counts)
    names = list(window["features"])
    features = (
        [
            (name, psi(window["features"][name]["shares"], total["features"][name]))
            for name in names
        ]
        if total
        else [(name, None) for name in names]
    )
    return DriftReport(
        number=live.number,
        hours=hours,
        rows=total["rows"] if total else 0,
        score_psi=psi(window["score"]["shares"], total["score"]) if total else None,
        features=sorted(features, key=lambda pair: -(pair[1] or 0.0)),
        hourly=[
            (hour, psi(window["score"]["shares"], counts["score"]))
            for hour, counts in sorted(by_hour.items())
        ],
    )


def _summed(total: dict | None, counts: dict) -> dict:
    """``counts`` added to ``total`` (None: nothing yet), bin by bin."""
    if total is None:
        total = {"rows": 0, "score": None, "features": {}}
    total["rows"] += counts["rows"]
    total["score"] = _added(total["score"], counts["score"])
    for name, bins in counts["features"].items():
        total["features"][name] = _added(total["features"].get(name), bins)
    return total


def _added(bins: list[int] | None, more: list[int]) -> list[int]:
    if bins is None:
        return list(more)
    return [a + b for a, b in zip(bins, more, strict=True)]
