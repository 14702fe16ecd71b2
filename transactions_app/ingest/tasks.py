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
from .retention import transaction_partitions_ensure, transactions_purge_legit
from .services import RedriveFailed, dead_letters_redrive

logger = logging.getLogger(__name__)


@shared_task(name="transactions_app.tasks.purge_old_transactions")
def purge_old_transactions() -> dict:
    """Retention, daily (see ``CELERY_BEAT_SCHEDULE``): make the partitions
    of the days ahead, then remove the legit transactions older than
    ``RETENTION_DAYS`` that were never flagged nor touched (``retention``);
    returns what it did, as the log line says it."""
    days = settings.RETENTION_DAYS
    now = timezone.now()
    made = transaction_partitions_ensure(today=now.date())
    purge = transactions_purge_legit(older_than=now - timedelta(days=days))
    summary = {
        "partitions_made": len(made),
        "partitions_dropped": len(purge.dropped),
        "rows_kept": sum(dropped.kept for dropped in purge.dropped),
        "rows_deleted": purge.deleted,
        "rows_removed_about": purge.estimated_rows,
    }
    logger.info(
        "retention: made %(partitions_made)d partitions, dropped "
        "%(partitions_dropped)d legit ones older than %(days)d days (about "
        "%(rows_removed_about)d transactions gone in all, %(rows_kept)d "
        "touched ones kept) and deleted %(rows_deleted)d rows one by one",
        {**summary, "days": days},
    )
    return summary


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
