"""Retention's services: partitions dropped whole, and rows outside any
partition deleted in bounded batches (the task: ``test_tasks``)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import stored_transaction
from tests.ingest.test_tasks import aged, partitions_from, pks
from transactions_app.ingest import partitions
from transactions_app.ingest.retention import (
    transaction_partitions_ensure,
    transactions_delete_legit,
    transactions_purge_legit,
)
from transactions_app.models import ReviewEvent, Transaction

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions"
)


def test_deletes_in_bounded_batches():
    rows = [aged(stored_transaction("legit"), 100) for _ in range(7)]
    cutoff = timezone.now() - timedelta(days=90)
    assert transactions_delete_legit(older_than=cutoff, batch_size=3) == 7
    assert not Transaction.objects.filter(pk__in=pks(rows)).exists()


def test_deletes_past_rows_it_must_keep_at_one_event_time():
    """Rows with the same event time are walked by id: a batch of rows
    that must stay does not stop the purge, nor make it loop."""
    rows = [aged(stored_transaction("legit"), 400) for _ in range(6)]
    Transaction.objects.filter(pk__in=pks(rows)).update(timestamp=rows[0].timestamp)
    for row in sorted(rows, key=lambda r: r.pk)[:3]:
        ReviewEvent.objects.create(transaction=row, from_status="new", to_status="new")
    cutoff = timezone.now() - timedelta(days=90)
    assert transactions_delete_legit(older_than=cutoff, batch_size=2) == 3
    assert Transaction.objects.filter(pk__in=pks(rows)).count() == 3


@postgresql_only
def test_a_day_not_all_past_its_retention_stays_until_it_is():
    """The partition of the cutoff's day is not dropped, and its rows are
    not deleted one by one either: a day goes whole, a day late at most."""
    partitions_from(days_ago=5)
    today = timezone.now().date()
    cutoff = partitions.midnight(today - timedelta(days=3)) + timedelta(hours=12)
    same_day = at(stored_transaction("legit"), cutoff - timedelta(hours=1))
    day_before = at(stored_transaction("legit"), cutoff - timedelta(days=1))
    purge = transactions_purge_legit(older_than=cutoff)
    assert [d.name for d in purge.dropped] == [
        partitions.LEGIT.partition(today - timedelta(days=days)) for days in (5, 4)
    ]
    assert purge.deleted == 0
    assert Transaction.objects.filter(pk=same_day.pk).exists()
    assert not Transaction.objects.filter(pk=day_before.pk).exists()


def at(row: Transaction, timestamp) -> Transaction:
    row.timestamp = timestamp
    row.save()
    return row


@postgresql_only
def test_the_estimate_counts_what_the_planner_saw():
    partitions_from(days_ago=3)
    rows = [aged(stored_transaction("legit"), 2.5) for _ in range(4)]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {partitions.LEGIT.table}")
    purge = transactions_purge_legit(older_than=timezone.now() - timedelta(days=1))
    assert purge.estimated_rows == len(rows)
    assert not Transaction.objects.filter(pk__in=pks(rows)).exists()


def test_ensure_makes_the_days_ahead_once():
    today = timezone.now().date()
    made = transaction_partitions_ensure(today=today + timedelta(days=30))
    if connection.vendor != "postgresql":
        assert made == []
        return
    legit = [n for n in made if n.startswith(partitions.LEGIT.table)]
    assert len(legit) == partitions.DAYS_AHEAD + 2  # yesterday to 7 days ahead
    assert transaction_partitions_ensure(today=today + timedelta(days=30)) == []
