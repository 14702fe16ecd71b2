"""Celery tasks. Each takes an id, fetches, and calls services."""

import logging
import time
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from .alerts import WebhookFailed, webhook_body, webhook_post
from .models import Transaction
from .review import transactions_escalate_overdue
from .selectors import transaction_get, webhook_deliveries_stalled
from .services import (
    transaction_claim_alert,
    transaction_release_alert,
    transactions_purge_legit,
    webhook_deliveries_mark_lost,
    webhook_delivery_claim,
    webhook_delivery_failed,
    webhook_delivery_sent,
)

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5, default_retry_delay=10)
def send_fraud_alert(self, transaction_id: str) -> bool:
    """Alert about a transaction classified as fraud: an e-mail to
    ``ALERT_EMAILS``, or, with no recipients configured, a log line.

    At most once per transaction: the alert is claimed before it goes out,
    and a task that finds it claimed does nothing. A failed send releases
    the claim and retries with exponential backoff. A worker that dies
    between claim and send loses that alert (at-most-once).
    """
    transaction = transaction_get(transaction_id=transaction_id)
    if transaction is None or transaction.outcome != "fraud":
        return False
    if not transaction_claim_alert(transaction_id=transaction.transaction_id):
        return False
    if not settings.ALERT_EMAILS:
        logger.warning(
            "fraud alert (no ALERT_EMAILS set): %s", _alert_subject(transaction)
        )
        return True
    try:
        send_mail(
            subject=_alert_subject(transaction),
            message=_alert_body(transaction),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=settings.ALERT_EMAILS,
        )
    except OSError as error:
        transaction_release_alert(transaction_id=transaction.transaction_id)
        raise self.retry(exc=error, countdown=10 * 2**self.request.retries) from error
    return True


@shared_task(bind=True, max_retries=None)
def send_fraud_webhook(self, transaction_id: str) -> str:
    """POST the signed alert of a fraud transaction to ``ALERT_WEBHOOK_URL``;
    returns ``sent``, ``failed`` (no attempts left) or ``skipped`` (no URL,
    not fraud, or another task has or had it); a retry raises ``Retry``.

    Once per transaction, apart from the e-mail: the task claims the
    transaction's ``WebhookDelivery`` for each attempt, and a task that
    finds it claimed, sent or failed does nothing. An error, a timeout or
    an answer other than 2xx is recorded on the delivery and retried after
    ``ALERT_WEBHOOK_RETRY_SECONDS`` × 2^(attempt − 1); after
    ``ALERT_WEBHOOK_ATTEMPTS`` attempts the delivery is failed for good.
    A worker that dies during a POST leaves the delivery "sending".
    """
    transaction = transaction_get(transaction_id=transaction_id)
    if not settings.ALERT_WEBHOOK_URL or transaction is None:
        return "skipped"
    if transaction.outcome != Transaction.Outcome.FRAUD:
        return "skipped"
    delivery = webhook_delivery_claim(transaction=transaction)
    if delivery is None:
        return "skipped"
    try:
        status = webhook_post(
            url=settings.ALERT_WEBHOOK_URL,
            secret=settings.ALERT_WEBHOOK_SECRET,
            body=webhook_body(transaction),
            timestamp=int(time.time()),
            timeout=settings.ALERT_WEBHOOK_TIMEOUT,
        )
    except WebhookFailed as error:
        return _webhook_attempt_failed(self, delivery, transaction_id, error)
    webhook_delivery_sent(delivery=delivery, response_status=status)
    return "sent"


def _webhook_attempt_failed(
    task, delivery, transaction_id: str, error: WebhookFailed
) -> str:
    """Record the failure; retry with exponential backoff or give up."""
    may_retry = webhook_delivery_failed(
        delivery=delivery,
        error=str(error),
        response_status=error.status,
        attempts_allowed=settings.ALERT_WEBHOOK_ATTEMPTS,
    )
    if not may_retry:
        logger.error(
            "fraud alert webhook for %s failed after %d attempts: %s",
            transaction_id,
            delivery.attempts,
            error,
        )
        return "failed"
    delay = settings.ALERT_WEBHOOK_RETRY_SECONDS * 2 ** (delivery.attempts - 1)
    logger.warning(
        "fraud alert webhook for %s failed (attempt %d), retrying in %g s: %s",
        transaction_id,
        delivery.attempts,
        delay,
        error,
    )
    raise task.retry(countdown=delay)


@shared_task
def send_fraud_alerts(transaction_ids: list[str]) -> int:
    """One task per detector batch: an e-mail alert task for each
    transaction, and a webhook task when ``ALERT_WEBHOOK_URL`` is set (so
    each retries on its own). Returns how many transactions were queued."""
    for transaction_id in transaction_ids:
        send_fraud_alert.delay(transaction_id)
        if settings.ALERT_WEBHOOK_URL:
            send_fraud_webhook.delay(transaction_id)
    return len(transaction_ids)


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


def _alert_subject(transaction) -> str:
    return (
        f"Fraud: {transaction.amount} {transaction.currency} from "
        f"{transaction.source} to {transaction.target} ({transaction.transaction_id})"
    )


def _alert_body(transaction) -> str:
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
    from .selectors import dead_letters_by_ids
    from .services import dead_letters_mark_redriven
    from .streaming.connection import kafka_connection
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


@shared_task
def sweep_webhook_deliveries() -> dict:
    """Periodic: deliveries nothing will finish otherwise.

    A delivery "sending" for longer than any attempt can take (the worker
    died during the POST) is failed, not resent; one "pending" for longer
    than the longest retry wait (its retry could not be queued) is queued
    again, which the claim keeps to one sender. Returns both counts.
    """
    now = timezone.now()
    longest_attempt = timedelta(seconds=10 * settings.ALERT_WEBHOOK_TIMEOUT + 60)
    lost = webhook_deliveries_mark_lost(sending_before=now - longest_attempt)
    longest_wait = timedelta(
        seconds=settings.ALERT_WEBHOOK_RETRY_SECONDS
        * 2**settings.ALERT_WEBHOOK_ATTEMPTS
        + 60
    )
    stalled = webhook_deliveries_stalled(pending_before=now - longest_wait)
    for transaction_id in stalled:
        send_fraud_webhook.delay(transaction_id)
    if lost or stalled:
        logger.warning(
            "webhook deliveries: %d lost during an attempt (failed), "
            "%d stalled (queued again)",
            lost,
            len(stalled),
        )
    return {"lost": lost, "requeued": len(stalled)}
