"""Writes of trainings on the decisions: a request, run by a Celery task
after the commit (``decisions.training_run``)."""

from django.db import transaction as db_transaction

from ..models import ModelTraining
from .services import ModelChangeRefused
from .tasks import train_model


def training_request(*, days: int, requested_by) -> ModelTraining:
    """Queue a training on the decisions of the last ``days`` days."""
    if days < 1:
        raise ModelChangeRefused("A training covers at least one day.")
    training = ModelTraining.objects.create(days=days, requested_by=requested_by)
    db_transaction.on_commit(lambda: train_model.delay(training.pk), robust=True)
    return training
