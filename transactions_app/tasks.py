"""Celery tasks. Each takes an id, fetches, and calls services. The fraud
alert tasks live in ``alerts.tasks``."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .alerts.tasks import dispatch_alerts, send_alert, send_alerts, send_fraud_alerts
from .review import transactions_escalate_overdue
from .services import transactions_purge_legit

logger = logging.getLogger(__name__)


@shared_task
def escalate_overdue_cases() -> int:
    """Escalate flagged cases still new or in review ``REVIEW_SLA_HOURS``
    after they were stored (periodic, see ``CELERY_BEAT_SCHEDULE``);
    returns how many were escalated."""
    hours = settings.REVIEW_SLA_HOURS
    escalated = transactions_escalate_overdue(
        opened_before=timezone.now() - timedelta(hours=hours),
        note=f"SLA exceeded: open longer than {hours:g} h",
    )
    if escalated:
        logger.info("escalated %d cases open longer than %g h", escalated, hours)
    return escalated


@shared_task
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


@shared_task(acks_late=True)
def run_backtest(backtest_id: int) -> int:
    """Run a queued backtest; returns how many transactions it would flag."""
    from .rules.backtest import backtest_run

    return backtest_run(backtest_id=backtest_id).flagged


@shared_task(bind=True, max_retries=5, default_retry_delay=10)
def redrive_dead_letters(self, dead_letter_ids: list[int], user_id=None) -> int:
    """Send dead letters to the input topic again, as they came (key, bytes,
    headers, plus ``redriven.from``), after the cause was fixed; returns how
    many were sent. Kafka not acknowledging all of them retries the task.
    Truncated letters are skipped, with a warning: the message as it came
    is not kept whole, and sending what is kept would be another one."""
    from .pipeline.connection import kafka_connection
    from .selectors import dead_letters_by_ids
    from .services import dead_letters_mark_redriven
    from .streaming.kafka import create_producer

    letters = dead_letters_by_ids(dead_letter_ids=dead_letter_ids)
    if cut := [d.pk for d in letters if d.truncated]:
        logger.warning("not re-driving truncated dead letters %s", cut)
        letters = [d for d in letters if not d.truncated]
    producer = create_producer(connection=kafka_connection())
    failures = []
    for letter in letters:
        producer.produce(
            settings.TRANSACTIONS_TOPIC,
            key=bytes(letter.key) if letter.key is not None else None,
            value=bytes(letter.value) if letter.value is not None else None,
            headers=_original_headers(letter),
            on_delivery=lambda error, _message: error and failures.append(error),
        )
    if producer.flush(30) or failures:
        raise self.retry(exc=RuntimeError(f"Kafka did not accept: {failures[:3]}"))
    dead_letters_mark_redriven(dead_letter_ids=[d.pk for d in letters], user_id=user_id)
    return len(letters)


def _original_headers(letter) -> list[tuple[str, bytes]]:
    import base64

    headers = [(name, base64.b64decode(value)) for name, value in letter.headers]
    position = f"{letter.topic}/{letter.partition}/{letter.offset}"
    return headers + [("redriven.from", position.encode())]


__all__ = [
    "dispatch_alerts",
    "escalate_overdue_cases",
    "purge_old_transactions",
    "redrive_dead_letters",
    "run_backtest",
    "send_alert",
    "send_alerts",
    "send_fraud_alerts",
]
