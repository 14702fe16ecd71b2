"""Writes to model versions: record a trained model, approve, reject,
shadow, roll back. Admin actions, tasks and ``trainmodel`` call these.

A model goes live as a rule version does: with four-eyes approval on
(``RULES_FOUR_EYES``) a second person who may approve models puts it in
force; with it off the one who trained it may. ``approver=None`` is the
command line (``trainmodel --activate``): someone with the deployment's
shell, allowed only when four-eyes approval is off.
"""

from django.conf import settings
from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.db.models import Max
from django.utils import timezone

from ..models import ModelDrift, ModelVersion
from .artefact import TrainedModel

APPROVE_PERMISSION = "transactions_app.approve_modelversion"
NUMBERING_ATTEMPTS = 5
Status = ModelVersion.Status


class ModelChangeRefused(Exception):
    """A change to the models in force that is not allowed; the message
    says why."""


def model_version_record(
    *, model: TrainedModel, source: str, author=None, note: str = ""
) -> ModelVersion:
    """Store ``model`` as the next version, waiting for approval. Two
    trainings finishing at once both get a number: the one that loses the
    race to a number takes the next."""
    fields = {
        "artefact": model.to_bytes(),
        "features": list(model.features),
        "training": model.training,
        "metrics": model.metrics,
        "source": source[:200],
        "note": note[:200],
        "author": author,
        "status": Status.PENDING,
    }
    for _ in range(NUMBERING_ATTEMPTS - 1):
        try:
            return _create_next(fields)
        except IntegrityError:
            continue  # another took that number meanwhile
    return _create_next(fields)


def _create_next(fields: dict) -> ModelVersion:
    number = (ModelVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    with db_transaction.atomic():
        return ModelVersion.objects.create(number=number, **fields)


@db_transaction.atomic
def model_version_approve(*, version: ModelVersion, approver) -> ModelVersion:
    """Put a waiting (or shadowing) version in force; the live one
    retires. Refused unless ``approver`` may approve models and, with
    four-eyes approval on, did not train it."""
    version = _locked(version)
    _check_decision(version, approver)
    now = timezone.now()
    ModelVersion.objects.filter(status=Status.LIVE).update(
        status=Status.RETIRED, retired_by=approver, retired_at=now, updated_at=now
    )
    version.status = Status.LIVE
    version.decided_by, version.decided_at = approver, now
    version.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    return version


@db_transaction.atomic
def model_version_reject(*, version: ModelVersion, approver) -> ModelVersion:
    version = _locked(version)
    _check_decision(version, approver)
    version.status = Status.REJECTED
    version.decided_by, version.decided_at = approver, timezone.now()
    version.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    return version


@db_transaction.atomic
def model_version_shadow(*, version: ModelVersion, requested_by) -> ModelVersion:
    """Let a waiting version score live traffic beside the one in force,
    entering no verdict, until someone decides on it; the version
    shadowing before goes back to waiting. It changes no verdict, so no
    second person is asked (admin offers it to those who may approve)."""
    version = _locked(version)
    if version.status != Status.PENDING:
        raise ModelChangeRefused(
            f"{version} is not waiting for approval (it is {version.status})."
        )
    ModelVersion.objects.filter(status=Status.SHADOW).update(
        status=Status.PENDING, updated_at=timezone.now()
    )
    version.status = Status.SHADOW
    version.save(update_fields=["status", "updated_at"])
    return version


@db_transaction.atomic
def model_version_roll_back(*, approver) -> ModelVersion | None:
    """Take the live version out of force (it is marked rolled back, and
    never comes back by a roll-back) and put back the one it replaced,
    approved once already, if any; returns that one, or None when the
    learned score is now off."""
    live = ModelVersion.objects.select_for_update().filter(status=Status.LIVE).first()
    if live is None:
        raise ModelChangeRefused("No model is in force; there is nothing to roll back.")
    if approver is not None and not approver.has_perm(APPROVE_PERMISSION):
        raise ModelChangeRefused(f"{approver} may not roll back models.")
    now = timezone.now()
    live.status = Status.ROLLED_BACK
    live.retired_by, live.retired_at = approver, now
    live.save(update_fields=["status", "retired_by", "retired_at", "updated_at"])
    previous = (
        ModelVersion.objects.select_for_update()
        .filter(status=Status.RETIRED, decided_at__isnull=False)
        .order_by("-retired_at", "-number")
        .first()
    )
    if previous is None:
        return None
    previous.status = Status.LIVE
    previous.retired_by = previous.retired_at = None
    previous.save(update_fields=["status", "retired_by", "retired_at", "updated_at"])
    return previous


def _locked(version: ModelVersion) -> ModelVersion:
    return ModelVersion.objects.select_for_update().get(pk=version.pk)


def _check_decision(version: ModelVersion, approver) -> None:
    if version.status not in (Status.PENDING, Status.SHADOW):
        raise ModelChangeRefused(
            f"{version} is not waiting for approval (it is {version.status})."
        )
    if approver is None:
        if settings.RULES_FOUR_EYES:
            raise ModelChangeRefused(
                f"{version} needs a second person's approval in admin "
                "(four-eyes approval, RULES_FOUR_EYES, is on)."
            )
        return
    if not approver.has_perm(APPROVE_PERMISSION):
        raise ModelChangeRefused(f"{approver} may not approve or reject models.")
    if settings.RULES_FOUR_EYES and version.author_id == approver.pk:
        raise ModelChangeRefused(
            f"{version} was trained by {approver}; a second person must decide "
            "on it (four-eyes approval)."
        )


def model_drift_record(*, number: int, counts: dict, at) -> None:
    """Keep a detector's counts of live traffic in the bins of model
    ``number`` (``scoring.drift.DriftCounter.take``)."""
    version = ModelVersion.objects.get(number=number)
    ModelDrift.objects.create(
        version=version, recorded_at=at, rows=counts["rows"], counts=counts
    )
