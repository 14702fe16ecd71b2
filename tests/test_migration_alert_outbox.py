"""Migration 0014: webhook deliveries become the alert outbox without
losing an alert that was lost or interrupted before it."""

import uuid

import pytest
from django.utils import timezone

from tests.factories import NOW
from tests.migrations import migrate, migrated_back_to

BEFORE = [("transactions_app", "0013_dead_letter_truncation")]
AFTER = [("transactions_app", "0014_alert_outbox")]


@pytest.fixture
def old_apps(transactional_db):
    with migrated_back_to(BEFORE) as apps:
        yield apps


def old_fraud(apps, *, alerted: bool):
    return apps.get_model("transactions_app", "Transaction").objects.create(
        transaction_id=uuid.uuid4(),
        **dict(source="a", target="b", amount="950.00", currency="EUR"),
        **dict(timestamp=NOW, received_at=NOW, outcome="fraud", score=100),
        **dict(kafka_topic="t", kafka_partition=0, kafka_offset=1),
        alerted_at=timezone.now() if alerted else None,
    )


def test_lost_emails_get_a_row_and_interrupted_webhooks_are_resent(old_apps):
    lost = old_fraud(old_apps, alerted=False)
    alerted = old_fraud(old_apps, alerted=True)
    deliveries = old_apps.get_model("transactions_app", "WebhookDelivery").objects
    deliveries.create(transaction=alerted, status="sending")
    deliveries.create(transaction=lost, status="sent")
    apps = migrate(AFTER)
    rows = apps.get_model("transactions_app", "AlertDelivery").objects
    assert set(rows.values_list("transaction_id", "channel", "status")) == {
        (lost.pk, "email", "pending"),
        (lost.pk, "webhook", "sent"),
        (alerted.pk, "webhook", "sending"),
    }
    interrupted = rows.get(transaction_id=alerted.pk)
    assert interrupted.lease_until <= timezone.now()


def test_with_a_webhook_the_fraud_never_alerted_gets_both_rows(old_apps, settings):
    settings.ALERT_WEBHOOK_URL = "https://hooks.example.com/fraud"
    lost = old_fraud(old_apps, alerted=False)
    old_fraud(old_apps, alerted=True)
    apps = migrate(AFTER)
    rows = apps.get_model("transactions_app", "AlertDelivery").objects
    assert set(rows.values_list("transaction_id", "channel", "status")) == {
        (lost.pk, "email", "pending"),
        (lost.pk, "webhook", "pending"),
    }
