"""Writes of the alert outbox (``AlertDelivery``): the rows a batch of fraud
needs, the lease of one attempt, its outcome, and what the dispatcher
queues. Every fraud alert is a row before it is a Celery message, so a
message lost with Redis, a task failing on the database or a worker dying
mid-send delays an alert but never loses it."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction as db_transaction
from django.db.models import F, Q
from django.utils import timezone

from ..models import AlertDelivery, Transaction

OPEN = (AlertDelivery.Status.PENDING, AlertDelivery.Status.SENDING)


def alert_deliveries_create(*, transaction_ids: list) -> list[int]:
    """One delivery per channel for each fraud transaction: e-mail always
    (with no ``ALERT_EMAILS`` the worker logs it), the webhook when
    ``ALERT_WEBHOOK_URL`` is set. Returns their ids.

    Called inside the transaction that stores the batch, so the alerts
    commit with the fraud or not at all. They are due one dispatch
    interval later: the task queued after the commit normally sends them
    first, and the dispatcher takes those it did not.
    """
    if not transaction_ids:
        return []
    channels = [AlertDelivery.Channel.EMAIL]
    if settings.ALERT_WEBHOOK_URL:
        channels.append(AlertDelivery.Channel.WEBHOOK)
    due_at = timezone.now() + timedelta(seconds=settings.ALERT_DISPATCH_SECONDS)
    pks = Transaction.objects.filter(transaction_id__in=transaction_ids).values_list(
        "pk", flat=True
    )
    created = AlertDelivery.objects.bulk_create(
        [
            AlertDelivery(transaction_id=pk, channel=channel, due_at=due_at)
            for pk in pks
            for channel in channels
        ]
    )
    return [delivery.pk for delivery in created]


def alert_deliveries_record(*, transaction_ids: list) -> list[int]:
    """The open deliveries of these fraud transactions, created where
    missing (for alerts that were queued without a row: by a detector of
    the release before the outbox). Returns the ids of those not sent."""
    channels = [AlertDelivery.Channel.EMAIL]
    if settings.ALERT_WEBHOOK_URL:
        channels.append(AlertDelivery.Channel.WEBHOOK)
    fraud = Transaction.objects.filter(
        transaction_id__in=transaction_ids, outcome=Transaction.Outcome.FRAUD
    )
    AlertDelivery.objects.bulk_create(
        [
            AlertDelivery(transaction_id=pk, channel=channel)
            for pk in fraud.values_list("pk", flat=True)
            for channel in channels
        ],
        ignore_conflicts=True,
    )
    return list(
        AlertDelivery.objects.filter(transaction__in=fraud, status__in=OPEN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def alert_delivery_claim(*, delivery_id: int, lease_seconds: float):
    """Lease a delivery for one attempt; return it with its transaction, or
    None when it is sent, failed for good, or leased by a live attempt.

    One conditional UPDATE takes a pending delivery, or one whose lease ran
    out (its worker died during the send), counts the attempt and sets the
    lease; so of two tasks holding the same id only one sends. The lease
    is also when it is due again, for the dispatcher.
    """
    now = timezone.now()
    lease_until = now + timedelta(seconds=lease_seconds)
    claimable = Q(status=AlertDelivery.Status.PENDING) | Q(
        status=AlertDelivery.Status.SENDING, lease_until__lt=now
    )
    claimed = (
        AlertDelivery.objects.filter(claimable, pk=delivery_id)
        .order_by()
        .update(
            status=AlertDelivery.Status.SENDING,
            attempts=F("attempts") + 1,
            lease_until=lease_until,
            due_at=lease_until,
            updated_at=now,
        )
    )
    if not claimed:
        return None
    return AlertDelivery.objects.select_related("transaction").get(pk=delivery_id)


def alert_delivery_sent(*, delivery, response_status: int | None = None) -> None:
    """Record a delivery the channel accepted; the e-mail also stamps the
    transaction's ``alerted_at`` (which the retention purge respects)."""
    now = timezone.now()
    with db_transaction.atomic():
        AlertDelivery.objects.filter(pk=delivery.pk).update(
            status=AlertDelivery.Status.SENT,
            response_status=response_status,
            lease_until=None,
            sent_at=now,
            updated_at=now,
        )
        if delivery.channel == AlertDelivery.Channel.EMAIL:
            Transaction.objects.flagged().filter(
                pk=delivery.transaction_id, alerted_at__isnull=True
            ).update(alerted_at=now)


def alert_delivery_failed(
    *,
    delivery,
    error: str,
    response_status: int | None,
    attempts_allowed: int,
    retry_seconds: float,
) -> float | None:
    """Record a failed attempt. While attempts remain the delivery is
    pending again, due after ``retry_seconds`` × 2^(attempt − 1), and that
    wait is returned; after the last one it is failed for good (None).

    Only the attempt that holds the lease records: if the lease ran out
    and another attempt took over, this one changes nothing.
    """
    retry = delivery.attempts < attempts_allowed
    delay = retry_seconds * 2 ** (delivery.attempts - 1)
    now = timezone.now()
    AlertDelivery.objects.filter(
        pk=delivery.pk,
        status=AlertDelivery.Status.SENDING,
        attempts=delivery.attempts,
    ).update(
        status=AlertDelivery.Status.PENDING if retry else AlertDelivery.Status.FAILED,
        due_at=now + timedelta(seconds=delay),
        lease_until=None,
        last_error=error[:2000],
        response_status=response_status,
        updated_at=now,
    )
    return delay if retry else None


def alert_deliveries_take_due(*, requeue_after_seconds: float, limit: int) -> list:
    """Ids of up to ``limit`` open deliveries that are due (oldest first):
    pending ones whose backoff is over or that no task took, and leases
    that ran out. Each is made due again ``requeue_after_seconds`` later,
    so the next dispatch leaves them to the task about to be queued, and
    queues them again only if that task was lost too. Rows locked by a
    dispatcher running at the same time are skipped."""
    now = timezone.now()
    with db_transaction.atomic():
        due = (
            AlertDelivery.objects.filter(status__in=OPEN, due_at__lte=now)
            .order_by("due_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        ids = list(due[:limit])
        AlertDelivery.objects.filter(pk__in=ids).update(
            due_at=now + timedelta(seconds=requeue_after_seconds)
        )
    return ids
