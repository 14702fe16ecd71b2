"""Celery tasks of the fraud alerts: each sends one outbox row
(``AlertDelivery``) by its id; the dispatcher queues the rows that are due.

At least once: a row is marked sent only after its channel accepted it, and
every way a send can be lost (the message lost with Redis, the database
away, the worker killed) leaves the row due, so the dispatcher queues it
again. The webhook carries the alert's id (``X-Fraud-Alert-Id`` and
``Idempotency-Key``) for receivers to drop the duplicates this allows.
"""

import logging
import time

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import InterfaceError, OperationalError
from kombu.exceptions import ChannelError

from ..models import AlertDelivery
from .services import (
    alert_deliveries_record,
    alert_deliveries_take_due,
    alert_delivery_claim,
    alert_delivery_failed,
    alert_delivery_sent,
)
from .webhook import WebhookFailed, webhook_body, webhook_post

logger = logging.getLogger(__name__)

# The names these tasks were registered under before they moved here: the
# beat schedule and messages already queued in Redis call them by it.
TASK_PREFIX = "transactions_app.alert_tasks"

DATABASE_ERRORS = (OperationalError, InterfaceError)
DISPATCH_LIMIT = 5000


@shared_task(name=f"{TASK_PREFIX}.send_alerts")
def send_alerts(delivery_ids: list[int]) -> int:
    """Queued after a batch commits: one ``send_alert`` per delivery, so
    each retries on its own. Returns how many were queued."""
    for delivery_id in delivery_ids:
        send_alert.delay(delivery_id)
    return len(delivery_ids)


@shared_task(name=f"{TASK_PREFIX}.send_fraud_alerts", bind=True, max_retries=None)
def send_fraud_alerts(self, transaction_ids: list[str]) -> int:
    """What a detector of the release before the outbox queues (transaction
    ids, not rows): the alerts are recorded in the outbox and sent, so none
    is lost while detectors are upgraded one by one. Returns how many
    deliveries were queued."""
    try:
        delivery_ids = alert_deliveries_record(transaction_ids=transaction_ids)
    except DATABASE_ERRORS as error:
        raise self.retry(exc=error, countdown=5) from error
    return send_alerts(delivery_ids)


@shared_task(name=f"{TASK_PREFIX}.send_alert", bind=True, max_retries=None)
def send_alert(self, delivery_id: int) -> str:
    """Send one alert; returns ``sent``, ``failed`` (no attempts left) or
    ``skipped`` (sent already, failed for good, or leased by a live
    attempt); a retry raises ``Retry``.

    The delivery is leased for ``ALERT_LEASE_SECONDS`` and marked sent only
    after the e-mail or the webhook accepted it. A failed send is retried
    after ``ALERT_WEBHOOK_RETRY_SECONDS`` × 2^(attempt − 1), up to
    ``ALERT_WEBHOOK_ATTEMPTS`` attempts (both channels). A database error
    retries the task (the row is untouched, or its lease runs out).
    """
    try:
        return _deliver(self, delivery_id)
    except DATABASE_ERRORS as error:
        delay = min(2**self.request.retries, 30)
        logger.warning(
            "fraud alert %d: database unavailable, retrying in %d s: %s",
            delivery_id,
            delay,
            error,
        )
        raise self.retry(exc=error, countdown=delay) from error


@shared_task(name=f"{TASK_PREFIX}.dispatch_alerts")
def dispatch_alerts() -> int:
    """Periodic (every ``ALERT_DISPATCH_SECONDS``): queue the deliveries
    that are due, which is how alerts whose task was lost, whose retry
    could not be queued or whose worker died are sent. Returns how many.

    It keeps the queue under ``DISPATCH_LIMIT`` messages: while workers
    are behind, the rows waiting in the queue are not lost, and queueing
    them again would only lengthen the queue. With the database away it
    logs and waits for its next run.
    """
    room = DISPATCH_LIMIT - _queue_length()
    if room <= 0:
        logger.info("alert dispatch skipped: the queue is %d long", -room)
        return 0
    try:
        due = alert_deliveries_take_due(
            requeue_after_seconds=settings.ALERT_LEASE_SECONDS, limit=room
        )
    except DATABASE_ERRORS as error:
        logger.warning("alert dispatch: database unavailable: %s", error)
        return 0
    for delivery_id in due:
        send_alert.delay(delivery_id)
    if due:
        logger.info("dispatched %d fraud alerts from the outbox", len(due))
    return len(due)


def _queue_length() -> int:
    """Messages waiting in the default queue; 0 when it does not exist
    (an empty Redis list) or in eager mode."""
    app = send_alert.app  # the Celery app the tasks are bound to
    if app.conf.task_always_eager:
        return 0
    with app.connection_for_read() as connection:
        try:
            declared = connection.default_channel.queue_declare(
                queue=app.conf.task_default_queue, passive=True
            )
        except ChannelError:
            return 0
    return declared.message_count


def _deliver(task, delivery_id: int) -> str:
    delivery = alert_delivery_claim(
        delivery_id=delivery_id, lease_seconds=settings.ALERT_LEASE_SECONDS
    )
    if delivery is None:
        return "skipped"
    send = _send_email if delivery.channel == AlertDelivery.Channel.EMAIL else _post
    try:
        status = send(delivery.transaction)
    except (WebhookFailed, OSError) as error:
        return _attempt_failed(task, delivery, error)
    alert_delivery_sent(delivery=delivery, response_status=status)
    return "sent"


def _attempt_failed(task, delivery, error: Exception) -> str:
    """Record the failure; retry after the backoff, or give up."""
    delay = alert_delivery_failed(
        delivery=delivery,
        error=str(error) or type(error).__name__,
        response_status=getattr(error, "status", None),
        attempts_allowed=settings.ALERT_WEBHOOK_ATTEMPTS,
        retry_seconds=settings.ALERT_WEBHOOK_RETRY_SECONDS,
    )
    name = f"{delivery.channel} alert for {delivery.transaction.transaction_id}"
    if delay is None:
        logger.error("%s failed after %d attempts: %s", name, delivery.attempts, error)
        return "failed"
    logger.warning(
        "%s failed (attempt %d), retrying in %g s: %s",
        name,
        delivery.attempts,
        delay,
        error,
    )
    raise task.retry(countdown=delay)


def _post(transaction) -> int:
    if not settings.ALERT_WEBHOOK_URL:
        raise WebhookFailed("ALERT_WEBHOOK_URL is not set")
    return webhook_post(
        url=settings.ALERT_WEBHOOK_URL,
        secret=settings.ALERT_WEBHOOK_SECRET,
        body=webhook_body(transaction),
        timestamp=int(time.time()),
        timeout=settings.ALERT_WEBHOOK_TIMEOUT,
        alert_id=str(transaction.transaction_id),
    )


def _send_email(transaction) -> None:
    """An e-mail to ``ALERT_EMAILS``, or, with none configured, a log line."""
    if not settings.ALERT_EMAILS:
        logger.warning("fraud alert (no ALERT_EMAILS set): %s", _subject(transaction))
        return None
    send_mail(
        subject=_subject(transaction),
        message=_body(transaction),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=settings.ALERT_EMAILS,
    )
    return None


def _subject(transaction) -> str:
    return (
        f"Fraud: {transaction.amount} {transaction.currency} from "
        f"{transaction.source} to {transaction.target} ({transaction.transaction_id})"
    )


def _body(transaction) -> str:
    reasons = "\n".join(
        f"- {r['rule']} v{r['version']}: {r['observed']} (threshold {r['threshold']})"
        for r in transaction.reasons
    )
    return (
        f"Transaction {transaction.transaction_id} was classified as fraud "
        f"with score {transaction.score}.\n\n"
        f"Source: {transaction.source}\nTarget: {transaction.target}\n"
        f"Amount: {transaction.amount} {transaction.currency}\n"
        f"Time: {transaction.timestamp.isoformat()}\n\nReasons:\n{reasons}\n"
    )
