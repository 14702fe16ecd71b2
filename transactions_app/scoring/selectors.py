"""Reads of model versions, and the learned score built from the one in
force."""

from django.db.models import Count, Max

from ..detection.learned import LearnedScore
from ..models import ModelVersion
from .artefact import Scorer, TrainedModel


def model_version_live() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelVersion.Status.LIVE).first()


def model_version_shadowing() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelVersion.Status.SHADOW).first()


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


def learned_score_live() -> LearnedScore | None:
    """The learned score in force, or None when no model is."""
    version = model_version_live()
    return None if version is None else learned_score(version)
