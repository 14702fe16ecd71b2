"""Celery tasks of what the detector stores: the retention purge and the
re-drive of dead letters. Each keeps the name it was registered under
before it moved here (the beat schedule and queued messages use it)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from ..connections import kafka_connection
from ..streaming.kafka import create_producer
from .services import RedriveFailed, dead_letters_redrive, transactions_purge_legit

logger = logging.getLogger(__name__)


@shared_task(name="transactions_app.tasks.purge_old_transactions")
def purge_old_transactions() -> int:
    """Delete legit transactions older than ``RETENTION_DAYS`` that were
    never flagged nor reviewed (periodic, see ``CELERY_BEAT_SCHEDULE``);
    returns how many were deleted."""
    days = settings.RETENTION_DAYS
    deleted = transactions_purge_legit(older_than=timezone.now() - timedelta(days=days))
    logger.info(
        "retention: deleted %d legit transactions older than %d days", deleted, days
    )
    return deleted


@shared_task(
    name="transactions_app.tasks.redrive_dead_letters",
    bind=True,
    max_retries=5,
    default_retry_delay=10,
)
def redrive_dead_letters(self, dead_letter_ids: list[int], user_id=None) -> int:
    """Send dead letters to the input topic again (``dead_letters_redrive``)
    after the cause was fixed; returns how many were sent. Kafka not
    acknowledging all of them retries the task."""
    producer = create_producer(connection=kafka_connection())
    try:
        return dead_letters_redrive(
            dead_letter_ids=dead_letter_ids,
            producer=producer,
            topic=settings.TRANSACTIONS_TOPIC,
            user_id=user_id,
        )
    except RedriveFailed as error:
        raise self.retry(exc=error) from error
