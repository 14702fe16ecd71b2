"""The fraud alert task: one e-mail per fraud transaction, however often
the task runs."""

import uuid

import pytest
from django.core import mail

from tests.factories import stored_transaction
from transactions_app.tasks import send_fraud_alert

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
