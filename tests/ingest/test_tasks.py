"""The retention purge, run eagerly in this process (re-drive:
``tests/ingest/test_dead_letters.py``)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import flagged_case, stored_transaction
from transactions_app.ingest.services import transactions_purge_legit
from transactions_app.models import AlertDelivery, ReviewEvent, Transaction
from transactions_app.tasks import purge_old_transactions

pytestmark = pytest.mark.django_db


def aged(row: Transaction, days: float) -> Transaction:
    row.timestamp = timezone.now() - timedelta(days=days)
    row.save()
    return row


def test_purge_deletes_only_old_legit_transactions_nobody_touched(
    settings, django_user_model, caplog
):
    """Old untouched legit rows go; recent ones, flagged ones (any status)
    and any legit row with a trace of review or alerting (sent or still in
    the outbox) stay."""
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
    awaiting_alert = aged(stored_transaction("legit"), 400)
    AlertDelivery.objects.create(transaction=awaiting_alert, channel="webhook")

    assert purge_old_transactions.apply().get() == 3
    assert "deleted 3 legit transactions older than 90 days" in caplog.text
    assert purge_old_transactions.apply().get() == 0
    assert not Transaction.objects.filter(pk__in=[r.pk for r in old_legit]).exists()
    kept = [
        *(recent_legit, *old_flagged, old_review, assigned, audited, alerted),
        awaiting_alert,
    ]
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
