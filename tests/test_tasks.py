"""The Celery tasks, run eagerly in this process: fraud alerts (one e-mail
and one webhook per fraud transaction, however often the tasks run), SLA
escalation of open cases and the retention purge."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tests.factories import stored_transaction
from tests.webhook_server import SECRET, WebhookServer
from transactions_app.models import ReviewEvent, Transaction, WebhookDelivery
from transactions_app.review import (
    transaction_review,
    transactions_escalate_overdue,
)
from transactions_app.services import (
    transactions_purge_legit,
    webhook_delivery_claim,
)
from transactions_app.tasks import (
    escalate_overdue_cases,
    purge_old_transactions,
    send_fraud_alert,
    send_fraud_alerts,
    send_fraud_webhook,
    sweep_webhook_deliveries,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def recipients(settings):
    settings.ALERT_EMAILS = ["risk@example.com", "ops@example.com"]


def test_alert_is_sent_once_even_if_the_task_runs_twice(recipients, mailoutbox):
    """The second run finds the alert recorded and sends nothing."""
    tx = stored_transaction("fraud")
    assert send_fraud_alert.apply(args=[str(tx.transaction_id)]).get() is True
    assert send_fraud_alert.apply(args=[str(tx.transaction_id)]).get() is False
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["risk@example.com", "ops@example.com"]
    assert str(tx.transaction_id) in message.body
    assert "amount_threshold v1: 950.00 EUR (threshold >= 900 EUR)" in message.body
    tx.refresh_from_db()
    assert tx.alerted_at is not None


def test_no_alert_for_legit_or_unknown_transactions(recipients, mailoutbox):
    assert (
        send_fraud_alert.apply(
            args=[str(stored_transaction("legit").transaction_id)]
        ).get()
        is False
    )
    assert send_fraud_alert.apply(args=[str(uuid.uuid4())]).get() is False
    assert mailoutbox == []


def test_a_failed_send_is_retried_and_not_lost(recipients, settings):
    """When the mail server is unreachable the task retries (eagerly here,
    all five times), the claim is released, and a later run still sends."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # refused
    tx = stored_transaction("fraud")
    result = send_fraud_alert.apply(args=[str(tx.transaction_id)])
    assert result.state == "FAILURE"
    assert isinstance(result.result, ConnectionRefusedError)
    tx.refresh_from_db()
    assert tx.alerted_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_fraud_alert.apply(args=[str(tx.transaction_id)]).get() is True
    assert len(mail.outbox) == 1


def test_without_recipients_the_alert_is_logged_once(settings, caplog, mailoutbox):
    settings.ALERT_EMAILS = []
    tx = stored_transaction("fraud")
    assert send_fraud_alert.apply(args=[str(tx.transaction_id)]).get() is True
    assert send_fraud_alert.apply(args=[str(tx.transaction_id)]).get() is False
    assert mailoutbox == []
    alerts = [r for r in caplog.records if "fraud alert" in r.getMessage()]
    assert len(alerts) == 1
    assert str(tx.transaction_id) in alerts[0].getMessage()


@pytest.fixture
def webhook(settings):
    """A real endpoint in a thread, configured as the alert webhook with a
    short timeout and three attempts."""
    with WebhookServer() as server:
        settings.ALERT_WEBHOOK_URL = server.url
        settings.ALERT_WEBHOOK_SECRET = SECRET
        settings.ALERT_WEBHOOK_TIMEOUT = 0.3
        settings.ALERT_WEBHOOK_ATTEMPTS = 3
        settings.ALERT_WEBHOOK_RETRY_SECONDS = 0.01
        yield server


def send_webhook(tx) -> str:
    return send_fraud_webhook.apply(args=[str(tx.transaction_id)]).get()


def test_webhook_is_sent_once_even_if_the_task_runs_twice(webhook):
    tx = stored_transaction("fraud")
    assert send_webhook(tx) == "sent"
    assert send_webhook(tx) == "skipped"
    (request,) = webhook.received
    assert request.signature_valid
    assert request.json["transaction_id"] == str(tx.transaction_id)
    assert request.json["amount"] == "950.00"
    delivery = WebhookDelivery.objects.get(transaction=tx)
    assert delivery.status == "sent"
    assert (delivery.attempts, delivery.response_status) == (1, 200)
    assert delivery.sent_at is not None


def test_webhook_errors_are_retried_until_accepted(webhook, caplog):
    """500, then a hang past the timeout, then 200: three signed attempts,
    the wait doubling between them, and the delivery recorded as sent."""
    webhook.script = ["error", "hang"]
    tx = stored_transaction("fraud")
    assert send_webhook(tx) == "sent"
    assert len(webhook.received) == 3
    assert all(request.signature_valid for request in webhook.received)
    delivery = WebhookDelivery.objects.get(transaction=tx)
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    assert "timed out" in delivery.last_error
    assert "(attempt 1), retrying in 0.01 s: HTTP 500" in caplog.text
    assert "(attempt 2), retrying in 0.02 s: " in caplog.text


def test_webhook_failing_every_attempt_is_recorded_as_failed(webhook, caplog):
    """After the last attempt the failure is kept with its last error, and
    a later run of the task sends nothing more."""
    webhook.script = ["hang", "error", "error", "error"]
    tx = stored_transaction("fraud")
    assert send_webhook(tx) == "failed"
    assert send_webhook(tx) == "skipped"
    assert len(webhook.received) == 3
    delivery = WebhookDelivery.objects.get(transaction=tx)
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert (delivery.response_status, delivery.last_error) == (
        500,
        "HTTP 500 Internal Server Error",
    )
    assert "failed after 3 attempts" in caplog.text


def test_a_claimed_webhook_is_not_sent_by_a_second_task(webhook):
    """While one task holds the delivery (sending), another does nothing."""
    tx = stored_transaction("fraud")
    assert webhook_delivery_claim(transaction=tx) is not None
    assert webhook_delivery_claim(transaction=tx) is None
    assert send_webhook(tx) == "skipped"
    assert webhook.received == []


def test_no_webhook_without_a_url_or_for_legit_transactions(webhook, settings):
    assert send_webhook(stored_transaction("legit")) == "skipped"
    assert send_fraud_webhook.apply(args=[str(uuid.uuid4())]).get() == "skipped"
    settings.ALERT_WEBHOOK_URL = ""
    assert send_webhook(stored_transaction("fraud")) == "skipped"
    assert webhook.received == []
    assert not WebhookDelivery.objects.exists()


def delivery_in(tx, status: str, *, minutes_ago: float) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(transaction=tx, status=status)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        updated_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return delivery


def test_the_sweep_fails_lost_attempts_and_requeues_stalled_ones(
    webhook, eager, caplog
):
    """A delivery left "sending" by a dead worker is failed, not resent; a
    "pending" one whose retry was never queued is sent; recent ones and
    finished ones are left alone."""
    lost = delivery_in(stored_transaction("fraud"), "sending", minutes_ago=30)
    stalled_tx = stored_transaction("fraud")
    stalled = delivery_in(stalled_tx, "pending", minutes_ago=30)
    in_progress = delivery_in(stored_transaction("fraud"), "sending", minutes_ago=0)
    waiting = delivery_in(stored_transaction("fraud"), "pending", minutes_ago=0)
    sent = delivery_in(stored_transaction("fraud"), "sent", minutes_ago=30)

    assert sweep_webhook_deliveries.apply().get() == {"lost": 1, "requeued": 1}

    statuses = {
        d.pk: d.status
        for d in WebhookDelivery.objects.filter(
            pk__in=[lost.pk, stalled.pk, in_progress.pk, waiting.pk, sent.pk]
        )
    }
    assert statuses == {
        lost.pk: "failed",
        stalled.pk: "sent",
        in_progress.pk: "sending",
        waiting.pk: "pending",
        sent.pk: "sent",
    }
    assert "worker was lost" in WebhookDelivery.objects.get(pk=lost.pk).last_error
    (request,) = webhook.received
    assert request.json["transaction_id"] == str(stalled_tx.transaction_id)
    assert sweep_webhook_deliveries.apply().get() == {"lost": 0, "requeued": 0}


@pytest.fixture
def eager():
    from fraudsite.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_email_and_webhook_are_separate_deliveries(
    webhook, recipients, mailoutbox, eager
):
    """The batch task queues both; a webhook that fails for good leaves the
    e-mail sent once, and running the batch again resends neither."""
    webhook.script = ["error"] * 3
    tx = stored_transaction("fraud")
    assert send_fraud_alerts.apply(args=[[str(tx.transaction_id)]]).get() == 1
    assert send_fraud_alerts.apply(args=[[str(tx.transaction_id)]]).get() == 1
    assert len(mailoutbox) == 1
    assert len(webhook.received) == 3
    assert WebhookDelivery.objects.get(transaction=tx).status == "failed"


def flagged_case(status: str = "new", *, opened_hours_ago: float = 48) -> Transaction:
    row = stored_transaction("fraud")
    row.review_status = status
    row.received_at = timezone.now() - timedelta(hours=opened_hours_ago)
    row.save()
    return row


def test_cases_open_past_the_sla_are_escalated_with_an_audit_entry(
    settings, django_user_model
):
    settings.REVIEW_SLA_HOURS = 24
    analyst = django_user_model.objects.create_user("ana", is_staff=True)
    overdue_new = flagged_case("new")
    overdue_in_review = flagged_case("new")
    transaction_review(
        transaction_id=overdue_in_review.pk,
        reviewer=analyst,
        to_status="in_review",
        expected_version=0,
    )
    within_sla = flagged_case("new", opened_hours_ago=23)
    closed = [flagged_case(status) for status in ("confirmed", "false_positive")]
    legit = stored_transaction("legit")

    assert escalate_overdue_cases.apply().get() == 2
    assert escalate_overdue_cases.apply().get() == 0  # idempotent

    for case, version in ((overdue_new, 1), (overdue_in_review, 2)):
        case.refresh_from_db()
        assert (case.review_status, case.review_version) == ("escalated", version)
        event = case.review_events.last()
        assert event.actor is None
        assert event.to_status == "escalated"
        assert event.note == "SLA exceeded: open longer than 24 h"
    overdue_in_review.refresh_from_db()
    assert overdue_in_review.assignee == analyst  # kept for the escalation
    for row in (within_sla, *closed, legit):
        status = row.review_status
        row.refresh_from_db()
        assert row.review_status == status
        assert not row.review_events.exists()


def test_a_case_taken_back_after_its_escalation_is_not_escalated_again(
    django_user_model,
):
    """An analyst who picks up an escalated case keeps it: the next run
    does not escalate it again, however old it is."""
    analyst = django_user_model.objects.create_user("ana", is_staff=True)
    case = flagged_case("new")
    assert escalate_overdue_cases.apply().get() == 1
    case.refresh_from_db()
    transaction_review(
        transaction_id=case.pk,
        reviewer=analyst,
        to_status="in_review",
        expected_version=case.review_version,
    )
    assert escalate_overdue_cases.apply().get() == 0
    case.refresh_from_db()
    assert case.review_status == "in_review"


def test_escalation_walks_every_batch():
    cases = [flagged_case("new") for _ in range(5)]
    escalated = transactions_escalate_overdue(
        opened_before=timezone.now(), note="SLA", batch_size=2
    )
    assert escalated == 5
    assert set(
        Transaction.objects.filter(pk__in=[c.pk for c in cases]).values_list(
            "review_status", flat=True
        )
    ) == {"escalated"}


def aged(row: Transaction, days: float) -> Transaction:
    row.timestamp = timezone.now() - timedelta(days=days)
    row.save()
    return row


def test_purge_deletes_only_old_legit_transactions_nobody_touched(
    settings, django_user_model, caplog
):
    """Old untouched legit rows go; recent ones, flagged ones (any status)
    and any legit row with a trace of review or alerting stay."""
    settings.RETENTION_DAYS = 90
    old_legit = [aged(stored_transaction("legit"), 91) for _ in range(3)]
    recent_legit = aged(stored_transaction("legit"), 89)
    old_flagged = [
        aged(flagged_case(status), 400)
        for status in ("new", "confirmed", "false_positive", "escalated")
    ]
    old_review = aged(stored_transaction("review"), 400)
    assigned = aged(stored_transaction("legit"), 400)
    assigned.assignee = django_user_model.objects.create_user("ana")
    assigned.save()
    audited = aged(stored_transaction("legit"), 400)
    ReviewEvent.objects.create(
        transaction=audited, from_status="new", to_status="new", note="looked"
    )
    alerted = aged(stored_transaction("legit"), 400)
    alerted.alerted_at = timezone.now()
    alerted.save()

    assert purge_old_transactions.apply().get() == 3
    assert "deleted 3 legit transactions older than 90 days" in caplog.text
    assert purge_old_transactions.apply().get() == 0
    assert not Transaction.objects.filter(pk__in=[r.pk for r in old_legit]).exists()
    kept = [recent_legit, *old_flagged, old_review, assigned, audited, alerted]
    assert Transaction.objects.filter(pk__in=[r.pk for r in kept]).count() == len(kept)


def test_purge_deletes_in_bounded_batches():
    rows = [aged(stored_transaction("legit"), 100) for _ in range(7)]
    cutoff = timezone.now() - timedelta(days=90)
    assert transactions_purge_legit(older_than=cutoff, batch_size=3) == 7
    assert not Transaction.objects.filter(pk__in=[r.pk for r in rows]).exists()


def test_purge_gets_past_rows_it_must_keep_at_one_event_time():
    """Rows with the same event time are walked by id: a batch of rows
    that must stay does not stop the purge, nor make it loop."""
    rows = [aged(stored_transaction("legit"), 100) for _ in range(6)]
    Transaction.objects.filter(pk__in=[r.pk for r in rows]).update(
        timestamp=rows[0].timestamp
    )
    for row in sorted(rows, key=lambda r: r.pk)[:3]:
        ReviewEvent.objects.create(transaction=row, from_status="new", to_status="new")
    cutoff = timezone.now() - timedelta(days=90)
    assert transactions_purge_legit(older_than=cutoff, batch_size=2) == 3
    assert Transaction.objects.filter(pk__in=[r.pk for r in rows]).count() == 3
