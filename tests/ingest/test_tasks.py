"""The retention task, run eagerly in this process (re-drive:
``tests/ingest/test_dead_letters.py``): it makes the partitions ahead,
drops the expired days of legit transactions, and deletes row by row what
no partition holds."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import flagged_case, stored_transaction
from transactions_app.ingest import partitions
from transactions_app.models import AlertDelivery, ReviewEvent, Transaction
from transactions_app.tasks import purge_old_transactions

pytestmark = pytest.mark.django_db


def aged(row: Transaction, days: float) -> Transaction:
    row.timestamp = timezone.now() - timedelta(days=days)
    row.save()
    return row


def partitions_from(days_ago: int) -> None:
    today = timezone.now().date()
    with connection.cursor() as cursor:
        partitions.ensure_partitions(
            cursor, first=today - timedelta(days=days_ago), last=today
        )


def untouched_and_touched_legit(days: float) -> tuple[list, list]:
    """Three legit rows nobody touched, and one with each trace of review
    or alerting that a legit row can have (an audit entry, an alert still
    in the outbox: an assignee or an alert time it cannot, see
    ``test_partitions``), all ``days`` old."""
    untouched = [aged(stored_transaction("legit"), days) for _ in range(3)]
    audited = aged(stored_transaction("legit"), days)
    ReviewEvent.objects.create(
        transaction=audited, from_status="new", to_status="new", note="looked"
    )
    awaiting_alert = aged(stored_transaction("legit"), days)
    AlertDelivery.objects.create(transaction=awaiting_alert, channel="webhook")
    return untouched, [audited, awaiting_alert]


def pks(rows) -> list[int]:
    return [row.pk for row in rows]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions")
def test_retention_drops_expired_days_and_keeps_what_was_touched(settings, caplog):
    """Days of legit transactions past ``RETENTION_DAYS`` go whole (their
    touched rows kept); a recent day and flagged ones of any age stay."""
    settings.RETENTION_DAYS = 90
    partitions_from(days_ago=100)
    gone, touched = untouched_and_touched_legit(92)
    recent = aged(stored_transaction("legit"), 89)
    flagged = [aged(flagged_case(status), 92) for status in ("new", "confirmed")]
    summary = purge_old_transactions.apply().get()
    assert summary["partitions_dropped"] == 10  # 100 to 91 days ago
    assert summary["rows_kept"] == 2
    assert summary["partitions_made"] == 0  # the migration made them
    assert "dropped 10 legit ones older than 90 days" in caplog.text
    assert not Transaction.objects.filter(pk__in=pks(gone)).exists()
    kept = [*touched, recent, *flagged]
    assert Transaction.objects.filter(pk__in=pks(kept)).count() == len(kept)
    again = purge_old_transactions.apply().get()
    assert again["partitions_dropped"] == again["rows_deleted"] == 0
    assert Transaction.objects.filter(pk__in=pks(kept)).count() == len(kept)


def test_retention_deletes_rows_no_partition_holds(settings):
    """Rows older than every partition (in the default one, or anywhere
    without partitions) are deleted one by one, on the same conditions."""
    settings.RETENTION_DAYS = 90
    gone, touched = untouched_and_touched_legit(400)
    old_review = aged(stored_transaction("review"), 400)
    summary = purge_old_transactions.apply().get()
    assert summary["rows_deleted"] == 3
    assert not Transaction.objects.filter(pk__in=pks(gone)).exists()
    kept = [*touched, old_review]
    assert Transaction.objects.filter(pk__in=pks(kept)).count() == len(kept)
