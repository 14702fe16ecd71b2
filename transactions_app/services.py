"""Writes. Every change to stored transactions goes through here."""

import base64
import logging
from collections.abc import Sequence

from django.db import transaction as db_transaction
from django.utils import timezone

from .models import DeadLetter, ReviewStatus, Transaction
from .streaming.records import ClassifiedTransaction, RejectedMessage

logger = logging.getLogger(__name__)


def transactions_store_batch(
    *,
    classified: Sequence[ClassifiedTransaction],
    rejected: Sequence[RejectedMessage] = (),
) -> list[Transaction]:
    """Store a batch in one database transaction; return the new rows.

    Idempotent on ``transaction_id``: a transaction already stored (a
    redelivery after a crash, or a duplicate id within the batch) is
    skipped, and the rows returned are those not found stored before the
    insert (two detectors racing on one id may both report it; storage
    still keeps one). Rejected messages of the batch are stored as dead
    letters in the same transaction. Fraud alerts for the new rows are
    queued after the commit.
    """
    unique = _first_per_transaction_id(classified)
    with db_transaction.atomic():
        existing = set(
            Transaction.objects.filter(transaction_id__in=unique.keys()).values_list(
                "transaction_id", flat=True
            )
        )
        rows = [_row(item) for key, item in unique.items() if key not in existing]
        Transaction.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        dead_letters_store(rejected=rejected)
        fraud_ids = [row.transaction_id for row in rows if row.outcome == "fraud"]
        if fraud_ids:
            db_transaction.on_commit(
                lambda: _queue_fraud_alerts(fraud_ids), robust=True
            )
    return rows


def _first_per_transaction_id(
    classified: Sequence[ClassifiedTransaction],
) -> dict:
    unique: dict = {}
    for item in classified:
        unique.setdefault(item.transaction.transaction_id, item)
    return unique


def _row(item: ClassifiedTransaction) -> Transaction:
    tx, verdict, origin = item.transaction, item.verdict, item.origin
    return Transaction(
        transaction_id=tx.transaction_id,
        source=tx.source,
        target=tx.target,
        amount=tx.amount,
        currency=tx.currency,
        timestamp=tx.timestamp,
        received_at=item.received_at,
        outcome=verdict.outcome.value,
        score=verdict.score,
        reasons=[reason.as_dict() for reason in verdict.reasons],
        rule_versions=verdict.rule_versions,
        review_status=ReviewStatus.NEW if verdict.is_flagged else "",
        kafka_topic=origin.topic,
        kafka_partition=origin.partition,
        kafka_offset=origin.offset,
    )


def _queue_fraud_alerts(transaction_ids) -> None:
    from .tasks import send_fraud_alert

    for transaction_id in transaction_ids:
        send_fraud_alert.delay(str(transaction_id))


def transaction_claim_alert(*, transaction_id) -> bool:
    """Record that the fraud alert for a transaction is being sent.

    Returns False when it was already claimed, which is how the alert task
    sends an alert once even if the task runs twice, concurrently or not.
    """
    updated = Transaction.objects.filter(
        transaction_id=transaction_id, alerted_at__isnull=True
    ).update(alerted_at=timezone.now())
    return updated == 1


def transaction_release_alert(*, transaction_id) -> None:
    """Undo a claim after the alert failed to send, so a retry can send it."""
    Transaction.objects.filter(transaction_id=transaction_id).update(alerted_at=None)


def dead_letters_store(*, rejected: Sequence[RejectedMessage]) -> None:
    """Keep rejected messages; one row per Kafka position, so a batch read
    again after a crash adds nothing."""
    DeadLetter.objects.bulk_create(
        [
            DeadLetter(
                error=item.error,
                topic=item.topic,
                partition=item.partition,
                offset=item.offset,
                key=item.key,
                value=item.value,
                headers=[
                    [name, base64.b64encode(value or b"").decode()]
                    for name, value in item.headers
                ],
                received_at=item.received_at,
            )
            for item in rejected
        ],
        ignore_conflicts=True,
    )


def dead_letters_mark_redriven(*, dead_letter_ids, user_id=None) -> int:
    return DeadLetter.objects.filter(pk__in=dead_letter_ids).update(
        redriven_at=timezone.now(), redriven_by_id=user_id
    )
