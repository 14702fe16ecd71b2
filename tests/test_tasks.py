"""The Celery tasks, run eagerly in this process: SLA escalation of open
cases and the retention purge (the alert tasks: ``tests/alerts/test_tasks.py``)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import stored_transaction
from transactions_app.ingest.services import transactions_purge_legit
from transactions_app.models import AlertDelivery, ReviewEvent, Transaction
from transactions_app.review import (
    transaction_review,
    transactions_escalate_overdue,
)
from transactions_app.tasks import escalate_overdue_cases, purge_old_transactions

pytestmark = pytest.mark.django_db


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
