"""The fraud alert task: one e-mail per fraud transaction, however often
the task runs."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core import mail

from transactions_app.models import Transaction
from transactions_app.tasks import send_fraud_alert

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def stored(outcome: str, amount: str = "950.00") -> Transaction:
    return Transaction.objects.create(
        transaction_id=uuid.uuid4(),
        source="a1B2c3D4e5F6",
        target="Z9y8X7w6V5u4",
        amount=Decimal(amount),
        currency="EUR",
        timestamp=NOW,
        received_at=NOW,
        outcome=outcome,
        score=100 if outcome == "fraud" else 0,
        reasons=[
            {
                "rule": "amount_threshold",
                "version": 1,
                "observed": "950.00 EUR",
                "threshold": ">= 900 EUR",
                "score": 100,
                "window": None,
            }
        ],
        kafka_topic="queuing.transactions",
        kafka_partition=0,
        kafka_offset=3,
    )


@pytest.fixture
def recipients(settings):
    settings.ALERT_EMAILS = ["risk@example.com", "ops@example.com"]


def test_alert_is_sent_once_even_if_the_task_runs_twice(recipients, mailoutbox):
    """The second run finds the alert recorded and sends nothing."""
    tx = stored("fraud")
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
        send_fraud_alert.apply(args=[str(stored("legit").transaction_id)]).get()
        is False
    )
    assert send_fraud_alert.apply(args=[str(uuid.uuid4())]).get() is False
    assert mailoutbox == []


def test_a_failed_send_is_retried_and_not_lost(recipients, settings):
    """When the mail server is unreachable the task retries (eagerly here,
    all five times), the claim is released, and a later run still sends."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # refused
    tx = stored("fraud")
    result = send_fraud_alert.apply(args=[str(tx.transaction_id)])
    assert result.state == "FAILURE"
    assert isinstance(result.result, ConnectionRefusedError)
    tx.refresh_from_db()
    assert tx.alerted_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_fraud_alert.apply(args=[str(tx.transaction_id)]).get() is True
    assert len(mail.outbox) == 1
