"""The alert tasks, run eagerly in this process against a real HTTP
endpoint in a thread: one delivery sent per row however often its task
runs, failures backed off and retried, expired leases sent again, and the
dispatcher queueing only what is due."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import stored_transaction
from tests.ingest.test_services import classified
from tests.webhook_server import SECRET, WebhookServer
from transactions_app.alerts.services import alert_delivery_claim
from transactions_app.alerts.tasks import (
    dispatch_alerts,
    send_alert,
    send_fraud_alerts,
)
from transactions_app.detection import Outcome
from transactions_app.ingest.services import transactions_store_batch
from transactions_app.models import AlertDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook(settings):
    """A real endpoint, configured as the alert webhook with a short
    timeout, three attempts and short waits."""
    with WebhookServer() as server:
        settings.ALERT_WEBHOOK_URL = server.url
        settings.ALERT_WEBHOOK_SECRET = SECRET
        settings.ALERT_WEBHOOK_TIMEOUT = 0.3
        settings.ALERT_WEBHOOK_ATTEMPTS = 3
        settings.ALERT_WEBHOOK_RETRY_SECONDS = 0.01
        yield server


@pytest.fixture
def eager():
    from fraudsite.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def outboxed(channel="webhook", **fields) -> AlertDelivery:
    return AlertDelivery.objects.create(
        transaction=stored_transaction("fraud"), channel=channel, **fields
    )


def send(row) -> str:
    return send_alert.apply(args=[row.pk]).get()


def test_a_webhook_is_sent_once_even_if_its_task_runs_twice(webhook):
    """The second run finds it sent; the request is signed and carries the
    alert's id for the receiver."""
    row = outboxed()
    assert send(row) == "sent"
    assert send(row) == "skipped"
    (request,) = webhook.received
    assert request.signature_valid
    tid = str(row.transaction.transaction_id)
    assert request.json["transaction_id"] == tid
    assert request.headers["X-Fraud-Alert-Id"] == tid
    assert request.headers["Idempotency-Key"] == tid
    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_status) == ("sent", 1, 200)
    assert row.sent_at is not None


def test_a_failed_send_backs_off_and_is_retried_until_accepted(webhook, caplog):
    """500, then a hang past the timeout, then 200: three attempts, the
    wait doubling between them, and the delivery sent."""
    webhook.script = ["error", "hang"]
    row = outboxed()
    assert send(row) == "sent"
    assert len(webhook.received) == 3
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 3)
    assert "timed out" in row.last_error
    assert "(attempt 1), retrying in 0.01 s: HTTP 500" in caplog.text
    assert "(attempt 2), retrying in 0.02 s: " in caplog.text


def test_a_webhook_failing_every_attempt_is_failed_for_good(webhook, caplog):
    webhook.script = ["error"] * 4
    row = outboxed()
    assert send(row) == "failed"
    assert send(row) == "skipped"
    assert len(webhook.received) == 3
    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_status) == ("failed", 3, 500)
    assert row.last_error == "HTTP 500 Internal Server Error"
    assert "failed after 3 attempts" in caplog.text


def test_a_leased_delivery_is_not_sent_by_a_second_task(webhook):
    row = outboxed()
    assert alert_delivery_claim(delivery_id=row.pk, lease_seconds=60) is not None
    assert send(row) == "skipped"
    assert webhook.received == []


def test_an_expired_lease_is_sent_again_by_the_dispatcher(webhook, eager):
    """The worker died during the send: its lease runs out, the dispatcher
    queues the delivery again and it is sent (the receiver may see it
    twice: at least once)."""
    row = outboxed()
    alert_delivery_claim(delivery_id=row.pk, lease_seconds=60)
    past = timezone.now() - timedelta(seconds=1)
    AlertDelivery.objects.filter(pk=row.pk).update(lease_until=past, due_at=past)
    assert dispatch_alerts.apply().get() == 1
    (request,) = webhook.received
    assert request.json["transaction_id"] == str(row.transaction.transaction_id)
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)


def test_the_dispatcher_sends_what_was_never_queued_and_not_what_was_sent(
    webhook, eager
):
    """A pending delivery whose task was lost is sent; sent, failed and
    not yet due ones are left alone; a second dispatch sends nothing."""
    past = timezone.now() - timedelta(seconds=1)
    lost = outboxed(due_at=past)
    outboxed(status="sent", due_at=past)
    outboxed(status="failed", due_at=past)
    outboxed(due_at=timezone.now() + timedelta(minutes=5))
    assert dispatch_alerts.apply().get() == 1
    assert dispatch_alerts.apply().get() == 0
    (request,) = webhook.received
    assert request.json["transaction_id"] == str(lost.transaction.transaction_id)


def test_the_email_is_sent_once_and_stamps_the_transaction(settings, mailoutbox):
    settings.ALERT_EMAILS = ["risk@example.com", "ops@example.com"]
    row = outboxed("email")
    assert send(row) == "sent"
    assert send(row) == "skipped"
    (message,) = mailoutbox
    assert message.to == ["risk@example.com", "ops@example.com"]
    tid = str(row.transaction.transaction_id)
    assert tid in message.subject
    assert "amount_threshold v1: 950.00 EUR (threshold >= 900 EUR)" in message.body
    row.transaction.refresh_from_db()
    assert row.transaction.alerted_at is not None


def test_without_recipients_the_email_alert_is_logged_once(settings, caplog):
    settings.ALERT_EMAILS = []
    row = outboxed("email")
    assert send(row) == "sent"
    assert send(row) == "skipped"
    logged = [r for r in caplog.records if "fraud alert (no ALERT_EMAILS" in r.msg]
    assert len(logged) == 1


def test_an_unreachable_mail_server_is_retried_and_not_lost(settings, mailoutbox):
    """SMTP refused on every attempt: the delivery is failed with the
    error, not marked sent, and the transaction is not stamped."""
    settings.ALERT_EMAILS = ["risk@example.com"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # refused
    settings.ALERT_WEBHOOK_ATTEMPTS, settings.ALERT_WEBHOOK_RETRY_SECONDS = 2, 0.01
    row = outboxed("email")
    assert send(row) == "failed"
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 2)
    assert "refused" in row.last_error.lower()
    assert row.transaction.alerted_at is None


def test_a_stored_batch_sends_both_channels_after_its_commit(
    webhook, settings, mailoutbox, eager, django_capture_on_commit_callbacks
):
    """The low-latency path: the task queued after the commit sends the
    e-mail and the webhook; the dispatcher then finds nothing to do."""
    settings.ALERT_EMAILS = ["risk@example.com"]
    fraud = classified("950.00", outcome=Outcome.FRAUD)
    with django_capture_on_commit_callbacks(execute=True):
        transactions_store_batch(classified=[fraud, classified()])
    assert len(mailoutbox) == 1
    (request,) = webhook.received
    assert request.json["transaction_id"] == str(fraud.transaction.transaction_id)
    assert set(AlertDelivery.objects.values_list("status", flat=True)) == {"sent"}
    AlertDelivery.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    assert dispatch_alerts.apply().get() == 0


def test_alerts_queued_by_the_release_before_are_recorded_and_sent(
    webhook, settings, mailoutbox, eager
):
    """A detector not upgraded yet queues transaction ids: each fraud gets
    its outbox rows and is sent once; legit and unknown ids get nothing."""
    settings.ALERT_EMAILS = ["risk@example.com"]
    fraud, legit = stored_transaction("fraud"), stored_transaction("legit")
    ids = [str(fraud.transaction_id), str(legit.transaction_id), str(uuid.uuid4())]
    assert send_fraud_alerts.apply(args=[ids]).get() == 2
    assert send_fraud_alerts.apply(args=[ids]).get() == 0
    assert len(mailoutbox) == 1
    (request,) = webhook.received
    assert request.json["transaction_id"] == str(fraud.transaction_id)
    assert set(AlertDelivery.objects.values_list("transaction", "status")) == {
        (fraud.pk, "sent")
    }


@pytest.fixture
def own_queue():
    """Celery's default queue renamed for this test, on the real Redis,
    emptied after."""
    from fraudsite.celery import app

    queue, app.conf.task_default_queue = app.conf.task_default_queue, "test-alerts"
    yield app.conf.task_default_queue
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(app.conf.task_default_queue)
    app.conf.task_default_queue = queue


@pytest.mark.integration
def test_the_dispatcher_holds_back_while_the_queue_is_full(own_queue, monkeypatch):
    """At the limit of queued messages nothing more is queued (the rows in
    the queue are not lost, only waiting); just under it, one is."""
    from transactions_app.alerts import tasks as alert_tasks

    monkeypatch.setattr(alert_tasks, "DISPATCH_LIMIT", 3)
    for _ in range(3):
        send_alert.apply_async(args=[0])
    row = outboxed(due_at=timezone.now() - timedelta(seconds=1))
    assert dispatch_alerts.apply().get() == 0
    row.refresh_from_db()
    assert row.due_at < timezone.now()
    from fraudsite.celery import app

    with app.connection_for_write() as connection:
        connection.default_channel.basic_get(own_queue, no_ack=True)
    assert dispatch_alerts.apply().get() == 1
