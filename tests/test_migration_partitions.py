"""Migration 0028: the transaction table of an existing installation
becomes partitioned with every row, id, index and reference kept, and
back."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.migrations import migrate, migrated_back_to
from transactions_app.ingest import partitions

BEFORE = [("transactions_app", "0027_finding_payments_index")]
AFTER = [("transactions_app", "0028_partition_transactions")]

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions")


@pytest.fixture
def old_apps(transactional_db):
    with migrated_back_to(BEFORE) as apps:
        yield apps


def old_row(apps, outcome: str, days_ago: float):
    at = timezone.now() - timedelta(days=days_ago)
    return apps.get_model("transactions_app", "Transaction").objects.create(
        transaction_id=uuid.uuid4(),
        **dict(source="a", target="b", amount="950.00", currency="EUR"),
        **dict(timestamp=at, received_at=at, outcome=outcome, score=100),
        **dict(kafka_topic="t", kafka_partition=0, kafka_offset=1),
        review_status="" if outcome == "legit" else "new",
    )


def indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s", [partitions.TABLE]
        )
        return {name for (name,) in cursor.fetchall()}


def test_rows_ids_and_references_are_kept(old_apps):
    rows = [
        old_row(old_apps, "legit", 3),
        old_row(old_apps, "fraud", 40),
        old_row(old_apps, "review", 1000),  # older than any partition made
    ]
    event = old_apps.get_model("transactions_app", "ReviewEvent").objects.create(
        transaction=rows[1], from_status="new", to_status="in_review"
    )
    before = indexes()
    apps = migrate(AFTER)
    with connection.cursor() as cursor:
        assert partitions.is_partitioned(cursor)
        legit_days = partitions.partition_starts(cursor, partitions.LEGIT)
    assert legit_days[0] == rows[0].timestamp.date()
    after = indexes()
    assert after - before == {"tx_key"}
    (unique_id,) = before - after  # the id's own unique index (its name varies)
    assert "transaction_id" in unique_id
    stored = apps.get_model("transactions_app", "Transaction").objects
    assert sorted(stored.values_list("pk", "transaction_id")) == sorted(
        (row.pk, row.transaction_id) for row in rows
    )
    events = apps.get_model("transactions_app", "ReviewEvent").objects
    assert events.get(pk=event.pk).transaction.transaction_id == rows[1].transaction_id
    assert old_row(apps, "legit", 0).pk > max(row.pk for row in rows)


def test_back_to_a_plain_table(old_apps):
    row = old_row(old_apps, "legit", 2)
    migrate(AFTER)
    apps = migrate(BEFORE)
    with connection.cursor() as cursor:
        assert not partitions.is_partitioned(cursor)
    stored = apps.get_model("transactions_app", "Transaction").objects
    assert list(stored.values_list("pk", flat=True)) == [row.pk]
    assert old_row(apps, "fraud", 0).pk > row.pk
