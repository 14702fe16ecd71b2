"""Celery tasks of the learned score: a training asked for in admin, and
the periodic drift check."""

from celery import shared_task
from django.utils import timezone

from .decisions import training_run
from .monitoring import model_drift_check


@shared_task(name="transactions_app.tasks.train_model", acks_late=True)
def train_model(training_id: int) -> int:
    """Run a queued training; returns the number of the version recorded."""
    return training_run(training_id=training_id).version.number


@shared_task(name="transactions_app.tasks.check_model_drift")
def check_model_drift() -> str:
    """The periodic drift check of the model in force."""
    return model_drift_check(now=timezone.now())
