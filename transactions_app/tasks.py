"""Celery tasks. Each takes an id, fetches, and calls services."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from .selectors import transaction_get
from .services import transaction_claim_alert, transaction_release_alert

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


@shared_task
def send_fraud_alerts(transaction_ids: list[str]) -> int:
    """One task per detector batch: an alert task for each transaction (so
    each retries on its own). Returns how many were queued."""
    for transaction_id in transaction_ids:
        send_fraud_alert.delay(transaction_id)
    return len(transaction_ids)


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
    many were sent. Kafka not acknowledging all of them retries the task."""
    from .selectors import dead_letters_by_ids
    from .services import dead_letters_mark_redriven
    from .streaming.connection import kafka_connection
    from .streaming.kafka import create_producer

    letters = dead_letters_by_ids(dead_letter_ids=dead_letter_ids)
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
