"""SLA escalation of open cases, run eagerly in this process."""

import threading

import pytest
from django.db import connection
from django.db import transaction as db_transaction
from django.utils import timezone

from tests.factories import flagged_case, stored_transaction
from transactions_app.models import Transaction
from transactions_app.review.services import (
    ReviewRefused,
    transaction_review,
    transactions_escalate_overdue,
)
from transactions_app.tasks import escalate_overdue_cases

pytestmark = pytest.mark.django_db


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


def test_an_analysts_form_opened_before_the_escalation_is_refused(django_user_model):
    analyst = django_user_model.objects.create_user("ana", is_staff=True)
    case = flagged_case("new")
    assert transactions_escalate_overdue(opened_before=timezone.now(), note="SLA") == 1
    with pytest.raises(ReviewRefused, match="changed meanwhile"):
        transaction_review(
            transaction_id=case.pk,
            reviewer=analyst,
            to_status="confirmed",
            expected_version=0,
        )


@pytest.mark.django_db(transaction=True)
def test_a_case_an_analyst_is_changing_is_left_to_the_next_run():
    """A case locked by another transaction (an analyst's change under way)
    is skipped, not waited for; the other cases of its batch are
    escalated, and the next run escalates it."""
    busy, free = flagged_case("new"), flagged_case("new")
    locked, release = threading.Event(), threading.Event()

    def analyst_changing_the_case() -> None:
        try:
            with db_transaction.atomic():
                Transaction.objects.select_for_update().get(pk=busy.pk)
                locked.set()
                release.wait(timeout=120)
        finally:
            connection.close()

    analyst = threading.Thread(target=analyst_changing_the_case)
    analyst.start()
    try:
        assert locked.wait(timeout=120)
        assert (
            transactions_escalate_overdue(opened_before=timezone.now(), note="SLA") == 1
        )
    finally:
        release.set()
        analyst.join()
    statuses = dict(
        Transaction.objects.filter(pk__in=[busy.pk, free.pk]).values_list(
            "pk", "review_status"
        )
    )
    assert statuses == {busy.pk: "new", free.pk: "escalated"}
    assert transactions_escalate_overdue(opened_before=timezone.now(), note="SLA") == 1
    busy.refresh_from_db()
    assert (busy.review_status, busy.review_events.get().to_status) == (
        "escalated",
        "escalated",
    )
