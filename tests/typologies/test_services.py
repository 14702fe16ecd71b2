"""The scan's findings as cases: recorded once, refreshed while open,
left alone once decided, reviewed with the transactions' workflow and an
audit entry for every change."""

from datetime import timedelta

import pytest

from tests.factories import NOW, stored_payment
from transactions_app.models import ReviewStatus, TypologyFinding
from transactions_app.review.services import ReviewRefused
from transactions_app.typologies.services import (
    finding_assign,
    finding_review,
    typologies_scan,
    typologies_scan_period,
)

pytestmark = pytest.mark.django_db

SINCE, UNTIL = NOW - timedelta(days=30), NOW + timedelta(days=30)


def cycle(names=("a", "b", "c"), start=0):
    amounts = ["1000.00", "950.00", "900.00", "850.00"]
    for i, payer in enumerate(names):
        payee = names[(i + 1) % len(names)]
        stored_payment(
            payer,
            payee,
            amounts[i],
            timestamp=NOW + timedelta(hours=start + 5 * i),
        )


def scan():
    return typologies_scan(since=SINCE, until=UNTIL)


def test_a_shape_found_becomes_a_new_case_with_its_payments_and_explanation():
    cycle()
    result = scan()
    assert (result.created, result.updated, result.decided) == (1, 0, 0)
    finding = TypologyFinding.objects.get()
    assert finding.typology == "cycle"
    assert finding.review_status == ReviewStatus.NEW
    assert finding.accounts == ["a", "b", "c", "a"]
    assert len(finding.transaction_ids) == 3
    assert str(finding.amount) == "1000.00"
    assert finding.explanation.startswith("Money went round 3 accounts")
    assert finding.first_at == NOW
    assert finding.last_at == NOW + timedelta(hours=10)


def test_a_shape_found_again_while_open_is_updated_not_repeated():
    cycle()
    scan()
    result = scan()
    assert (result.created, result.updated) == (0, 1)
    assert TypologyFinding.objects.count() == 1
    assert result.findings[0].pk == TypologyFinding.objects.get().pk


def test_a_decided_shape_found_again_stays_decided():
    cycle()
    finding = scan().findings[0]
    finding_review(
        finding_id=finding.pk,
        reviewer=None,
        to_status="confirmed",
        expected_version=0,
    )
    result = scan()
    assert (result.created, result.updated, result.decided) == (0, 0, 1)
    assert TypologyFinding.objects.get().review_status == "confirmed"


def test_the_period_scan_reads_the_days_up_to_until():
    cycle()
    assert typologies_scan_period(days=1, until=NOW + timedelta(hours=11)).created == 1
    assert typologies_scan_period(days=1, until=NOW + timedelta(hours=9)).created == 0


def test_review_follows_the_workflow_with_an_audit_entry_each(django_user_model):
    analyst = django_user_model.objects.create_user("ana")
    cycle()
    finding = scan().findings[0]
    finding = finding_review(
        finding_id=finding.pk,
        reviewer=analyst,
        to_status="in_review",
        expected_version=0,
        note="looking",
    )
    assert finding.assignee == analyst
    finding = finding_review(
        finding_id=finding.pk,
        reviewer=analyst,
        to_status="false_positive",
        expected_version=1,
    )
    steps = [(e.from_status, e.to_status, e.note) for e in finding.events.all()]
    assert steps == [
        ("new", "in_review", "looking"),
        ("in_review", "false_positive", ""),
    ]


def test_a_change_on_an_older_version_is_refused(django_user_model):
    cycle()
    finding = scan().findings[0]
    finding_assign(finding_id=finding.pk, assignee=None, actor=None, expected_version=0)
    with pytest.raises(ReviewRefused, match="changed meanwhile"):
        finding_review(
            finding_id=finding.pk,
            reviewer=None,
            to_status="confirmed",
            expected_version=0,
        )


def test_a_move_the_workflow_does_not_allow_is_refused():
    cycle()
    finding = scan().findings[0]
    finding_review(
        finding_id=finding.pk, reviewer=None, to_status="confirmed", expected_version=0
    )
    with pytest.raises(
        ReviewRefused, match="cannot go from Confirmed fraud to Escalated"
    ):
        finding_review(
            finding_id=finding.pk,
            reviewer=None,
            to_status="escalated",
            expected_version=1,
        )
