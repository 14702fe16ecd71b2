"""Celery tasks of the learned score: a training asked for in admin."""

from celery import shared_task

from .decisions import training_run


@shared_task(name="transactions_app.tasks.train_model", acks_late=True)
def train_model(training_id: int) -> int:
    """Run a queued training; returns the number of the version recorded."""
    return training_run(training_id=training_id).version.number
