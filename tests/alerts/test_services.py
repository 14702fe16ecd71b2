"""The alert outbox: rows written with the batch, leased for one attempt,
backed off after a failure, and handed to the dispatcher when due."""

from datetime import timedelta

import pytest
from django.db import transaction as db_transaction
from django.utils import timezone

from tests.factories import stored_transaction
from tests.ingest.test_services import classified
from transactions_app.alerts.services import (
    alert_deliveries_take_due,
    alert_delivery_claim,
    alert_delivery_failed,
    alert_delivery_sent,
)
from transactions_app.detection import Outcome
from transactions_app.ingest.services import transactions_store_batch
from transactions_app.models import AlertDelivery, Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook_configured(settings):
    settings.ALERT_WEBHOOK_URL = "http://127.0.0.1:9/alerts"
    settings.ALERT_WEBHOOK_SECRET = "secret"


def test_a_batch_writes_one_delivery_per_fraud_and_channel(
    webhook_configured, django_capture_on_commit_callbacks
):
    """Fraud gets an e-mail and a webhook row, legit none; one task is
    queued after the commit with their ids; storing the batch again adds
    no rows and queues nothing."""
    fraud = classified("950.00", outcome=Outcome.FRAUD)
    with django_capture_on_commit_callbacks() as callbacks:
        transactions_store_batch(classified=[fraud, classified()])
    rows = AlertDelivery.objects.all()
    assert sorted(d.channel for d in rows) == ["email", "webhook"]
    assert {d.transaction.transaction_id for d in rows} == {
        fraud.transaction.transaction_id
    }
    assert {d.status for d in rows} == {"pending"}
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks() as callbacks:
        transactions_store_batch(classified=[fraud])
    assert AlertDelivery.objects.count() == 2
    assert callbacks == []


def test_without_a_webhook_url_only_the_email_is_recorded():
    transactions_store_batch(classified=[classified("950.00", outcome=Outcome.FRAUD)])
    assert list(AlertDelivery.objects.values_list("channel", flat=True)) == ["email"]


def test_deliveries_commit_or_roll_back_with_their_batch(webhook_configured):
    """The outbox rows are in the batch's own transaction: when it rolls
    back, neither the fraud nor its alerts exist."""
    with pytest.raises(RuntimeError), db_transaction.atomic():
        transactions_store_batch(
            classified=[classified("950.00", outcome=Outcome.FRAUD)]
        )
        assert AlertDelivery.objects.count() == 2
        raise RuntimeError("the batch's transaction fails")
    assert not Transaction.objects.exists()
    assert not AlertDelivery.objects.exists()


def test_new_deliveries_are_due_one_dispatch_interval_later(settings):
    """The task queued after the commit goes first; the dispatcher takes
    them only if it did not."""
    settings.ALERT_DISPATCH_SECONDS = 10
    before = timezone.now()
    transactions_store_batch(classified=[classified("950.00", outcome=Outcome.FRAUD)])
    delivery = AlertDelivery.objects.get()
    assert before + timedelta(seconds=10) <= delivery.due_at
    assert delivery.due_at <= timezone.now() + timedelta(seconds=10)
    assert alert_deliveries_take_due(requeue_after_seconds=60, limit=10) == []


def delivery(status="pending", **fields) -> AlertDelivery:
    return AlertDelivery.objects.create(
        transaction=stored_transaction("fraud"),
        channel="webhook",
        status=status,
        **fields,
    )


def test_a_lease_is_held_by_one_attempt_until_it_runs_out():
    """A leased delivery cannot be claimed again; once its lease has run
    out (the worker died) it can, and the attempt is counted."""
    row = delivery()
    claimed = alert_delivery_claim(delivery_id=row.pk, lease_seconds=60)
    assert (claimed.status, claimed.attempts) == ("sending", 1)
    assert claimed.lease_until == claimed.due_at
    assert alert_delivery_claim(delivery_id=row.pk, lease_seconds=60) is None
    AlertDelivery.objects.filter(pk=row.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    again = alert_delivery_claim(delivery_id=row.pk, lease_seconds=60)
    assert (again.status, again.attempts) == ("sending", 2)


def test_sent_and_failed_deliveries_are_never_claimed():
    for status in ("sent", "failed"):
        row = delivery(status)
        assert alert_delivery_claim(delivery_id=row.pk, lease_seconds=60) is None


def test_a_sent_email_stamps_the_transaction():
    row = AlertDelivery.objects.create(
        transaction=stored_transaction("fraud"), channel="email"
    )
    claimed = alert_delivery_claim(delivery_id=row.pk, lease_seconds=60)
    alert_delivery_sent(delivery=claimed)
    row.refresh_from_db()
    assert (row.status, row.lease_until) == ("sent", None)
    assert row.transaction.alerted_at is not None


def test_a_failure_backs_off_doubling_until_no_attempts_are_left():
    row = delivery()
    waits = []
    for _ in range(3):
        claimed = alert_delivery_claim(delivery_id=row.pk, lease_seconds=60)
        before = timezone.now()
        waits.append(
            alert_delivery_failed(
                delivery=claimed,
                error="HTTP 500",
                response_status=500,
                attempts_allowed=3,
                retry_seconds=10,
            )
        )
        row.refresh_from_db()
        if waits[-1] is not None:
            assert row.status == "pending"
            assert row.due_at >= before + timedelta(seconds=waits[-1])
    assert waits == [10, 20, None]
    assert (row.status, row.attempts, row.last_error) == ("failed", 3, "HTTP 500")


def test_a_failure_recorded_after_the_lease_was_taken_over_changes_nothing():
    row = delivery()
    first = alert_delivery_claim(delivery_id=row.pk, lease_seconds=60)
    AlertDelivery.objects.filter(pk=row.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    alert_delivery_claim(delivery_id=row.pk, lease_seconds=60)
    alert_delivery_failed(
        delivery=first,
        error="late",
        response_status=None,
        attempts_allowed=6,
        retry_seconds=10,
    )
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sending", 2, "")


def test_the_dispatcher_takes_what_is_due_once_per_requeue_wait():
    """Due pending rows and expired leases are taken, oldest first; rows
    not yet due, leased, sent or failed are not; what was taken is not
    taken again before the requeue wait is over."""
    past = timezone.now() - timedelta(minutes=5)
    future = timezone.now() + timedelta(minutes=5)
    due = delivery(due_at=past - timedelta(minutes=1))
    expired = delivery("sending", due_at=past, lease_until=past)
    delivery(due_at=future)
    delivery("sending", due_at=future, lease_until=future)
    delivery("sent", due_at=past)
    delivery("failed", due_at=past)
    taken = alert_deliveries_take_due(requeue_after_seconds=60, limit=10)
    assert taken == [due.pk, expired.pk]
    assert alert_deliveries_take_due(requeue_after_seconds=60, limit=10) == []


def test_the_dispatcher_takes_at_most_its_limit():
    past = timezone.now() - timedelta(minutes=5)
    rows = [delivery(due_at=past + timedelta(seconds=i)) for i in range(3)]
    first = alert_deliveries_take_due(requeue_after_seconds=60, limit=2)
    assert first == [rows[0].pk, rows[1].pk]
    assert alert_deliveries_take_due(requeue_after_seconds=60, limit=2) == [rows[2].pk]
