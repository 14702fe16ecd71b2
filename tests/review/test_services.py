"""Analyst review: status changes and assignment with an audit trail, and
refusal when a case changed meanwhile (two analysts at once)."""

import pytest

from tests.factories import stored_transaction
from transactions_app.models import ReviewEvent, Transaction
from transactions_app.review.services import (
    ReviewRefused,
    transaction_assign,
    transaction_review,
    transactions_review_bulk,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def analysts(django_user_model):
    return [
        django_user_model.objects.create_user(name, password="x", is_staff=True)
        for name in ("ana", "ben")
    ]


def flagged() -> Transaction:
    row = stored_transaction("fraud")
    row.review_status = "new"
    row.save()
    return row


def test_taking_a_case_assigns_it_and_writes_the_trail(analysts):
    ana, _ben = analysts
    case = flagged()
    transaction_review(
        transaction_id=case.pk,
        reviewer=ana,
        to_status="in_review",
        expected_version=0,
        note="looking",
    )
    transaction_review(
        transaction_id=case.pk,
        reviewer=ana,
        to_status="confirmed",
        expected_version=1,
        note="card reported stolen",
    )
    case.refresh_from_db()
    assert (case.review_status, case.assignee, case.review_version) == (
        "confirmed",
        ana,
        2,
    )
    trail = list(case.review_events.values_list("from_status", "to_status", "note"))
    assert trail == [
        ("new", "in_review", "looking"),
        ("in_review", "confirmed", "card reported stolen"),
    ]


def test_a_change_made_on_an_older_version_is_refused(analysts):
    """Ben acts on what he loaded before Ana's change: refused, not merged."""
    ana, ben = analysts
    case = flagged()
    transaction_review(
        transaction_id=case.pk, reviewer=ana, to_status="confirmed", expected_version=0
    )
    with pytest.raises(ReviewRefused, match="changed meanwhile by ana"):
        transaction_review(
            transaction_id=case.pk,
            reviewer=ben,
            to_status="false_positive",
            expected_version=0,
        )
    case.refresh_from_db()
    assert case.review_status == "confirmed"
    assert ReviewEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("start", "to"), [("confirmed", "false_positive"), ("escalated", "new")]
)
def test_transitions_outside_the_workflow_are_refused(analysts, start, to):
    case = flagged()
    Transaction.objects.filter(pk=case.pk).update(review_status=start)
    with pytest.raises(ReviewRefused, match="cannot go from"):
        transaction_review(
            transaction_id=case.pk,
            reviewer=analysts[0],
            to_status=to,
            expected_version=0,
        )


def test_legit_transactions_are_not_reviewed(analysts):
    legit = stored_transaction("legit")
    with pytest.raises(ReviewRefused, match="is legit"):
        transaction_review(
            transaction_id=legit.pk,
            reviewer=analysts[0],
            to_status="confirmed",
            expected_version=0,
        )


def test_assignment_is_recorded(analysts):
    ana, ben = analysts
    case = flagged()
    transaction_assign(
        transaction_id=case.pk,
        assignee=ben,
        actor=ana,
        expected_version=0,
        note="yours",
    )
    transaction_assign(
        transaction_id=case.pk, assignee=None, actor=ben, expected_version=1
    )
    case.refresh_from_db()
    assert case.assignee is None
    assert [e.assignee for e in case.review_events.all()] == [ben, None]


def test_bulk_changes_audit_every_row_and_report_refusals(analysts):
    cases = [flagged() for _ in range(3)]
    legit = stored_transaction("legit")
    refused = transactions_review_bulk(
        transaction_ids=[c.pk for c in cases] + [legit.pk],
        reviewer=analysts[0],
        to_status="false_positive",
        note="known merchant",
    )
    assert len(refused) == 1 and "is legit" in refused[0]
    assert ReviewEvent.objects.filter(to_status="false_positive").count() == 3


def test_admin_bulk_actions_and_the_trail_inline(admin_client, admin_user):
    cases = [flagged() for _ in range(2)]
    url = "/admin/transactions_app/transaction/"
    admin_client.post(
        url, {"action": "assign_to_me", "_selected_action": [c.pk for c in cases]}
    )
    response = admin_client.post(
        url,
        {"action": "confirm_fraud", "_selected_action": [c.pk for c in cases]},
        follow=True,
    )
    assert "2 transaction(s) marked confirmed fraud." in response.content.decode()
    assert set(
        Transaction.objects.filter(pk__in=[c.pk for c in cases]).values_list(
            "review_status", "assignee"
        )
    ) == {("confirmed", admin_user.pk)}
    page = admin_client.get(f"{url}{cases[0].pk}/change/").content.decode()
    assert "Confirmed fraud" in page and "Review events" in page


def test_staff_without_the_review_permission_get_no_review_actions(
    client, django_user_model
):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user(
        "viewer", password="x", is_staff=True
    )
    viewer.user_permissions.add(Permission.objects.get(codename="view_transaction"))
    client.force_login(viewer)
    page = client.get("/admin/transactions_app/transaction/").content.decode()
    assert "Confirm as fraud" not in page


def test_next_case_takes_the_first_unassigned_one_by_priority(admin_client, admin_user):
    from datetime import timedelta

    lower, higher = flagged(), flagged()
    Transaction.objects.filter(pk=lower.pk).update(score=60)
    Transaction.objects.filter(pk=higher.pk).update(
        received_at=lower.received_at + timedelta(minutes=5)  # newer, yet first
    )
    response = admin_client.post("/review/next/")
    assert response["Location"] == (
        f"/admin/transactions_app/transaction/{higher.pk}/change/"
        "?_changelist_filters=queue%3Dunassigned"
    )
    higher.refresh_from_db()
    assert (higher.review_status, higher.assignee) == ("in_review", admin_user)
    admin_client.post("/review/next/")
    empty = admin_client.post("/review/next/", follow=True)
    assert "No unassigned cases are waiting." in empty.content.decode()


def test_the_case_page_explains_the_verdict_and_the_sources_activity(admin_client):
    case = flagged()
    stored_transaction("legit", source=case.source)
    page = admin_client.get(
        f"/admin/transactions_app/transaction/{case.pk}/change/"
    ).content.decode()
    assert "amount_threshold v1" in page
    assert "&gt;= 900 EUR" in page  # the threshold, escaped as text
    assert "Last hour: 2 transactions, 960.00 in total." in page


def test_confirmed_fraud_can_put_accounts_on_the_block_list(admin_client):
    from transactions_app.rules.selectors import account_lists

    case = flagged()
    admin_client.post(
        "/admin/transactions_app/transaction/",
        {"action": "block_sources", "_selected_action": [case.pk]},
    )
    admin_client.post(
        "/admin/transactions_app/transaction/",
        {"action": "block_targets", "_selected_action": [case.pk]},
    )
    assert account_lists() == {"block": frozenset({case.source, case.target})}


def member_of(django_user_model, group: str, name: str):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(name, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def test_analysts_review_but_do_not_manage_rules(client, django_user_model):
    client.force_login(member_of(django_user_model, "Analyst", "ana"))
    changelist = client.get("/admin/transactions_app/transaction/")
    assert changelist.status_code == 200
    assert "Confirm as fraud" in changelist.content.decode()
    assert "Next unassigned case" in changelist.content.decode()
    assert client.get("/admin/transactions_app/deadletter/").status_code == 200
    for denied in ("rule/", "ruleversion/", "accountlistentry/", "backtest/"):
        assert client.get(f"/admin/transactions_app/{denied}").status_code == 403
    assert client.get("/admin/auth/user/").status_code == 403


def test_rule_managers_manage_rules_but_do_not_review(client, django_user_model):
    client.force_login(member_of(django_user_model, "Rule manager", "rim"))
    assert client.get("/admin/transactions_app/rule/").status_code == 200
    assert client.get("/admin/transactions_app/accountlistentry/").status_code == 200
    changelist = client.get("/admin/transactions_app/transaction/")
    assert "Confirm as fraud" not in changelist.content.decode()
    assert client.post("/review/next/").status_code == 403
    assert client.get("/admin/auth/user/").status_code == 403


def test_non_staff_users_get_nothing(client, django_user_model):
    user = django_user_model.objects.create_user("eve", password="x")
    client.force_login(user)
    assert client.get("/admin/transactions_app/transaction/").status_code == 302
    assert client.post("/review/next/").status_code == 302
    assert client.get("/").status_code == 302


EVERY_FILTER = {
    "flagged": "yes",
    "outcome": "fraud",
    "review_status": "new",
    "assignee": "me",
    "rule": "amount_threshold",
    "amount_min": "900",
    "amount_max": "1000",
    "q": "a1B2c3D4e5F6",
    "timestamp__year": "2026",
    "timestamp__month": "5",
    "timestamp__day": "4",
}


@pytest.mark.parametrize("params", [{"flagged": "yes"}, EVERY_FILTER])
@pytest.mark.parametrize("rows", [5, 50])
def test_the_changelist_runs_a_bounded_number_of_queries(
    admin_client, admin_user, django_assert_max_num_queries, rows, params
):
    """However many rows a page shows, and whichever filters are on, the
    list costs the same queries."""
    for _ in range(rows):
        case = flagged()
        Transaction.objects.filter(pk=case.pk).update(assignee=admin_user)
    with django_assert_max_num_queries(10):
        response = admin_client.get("/admin/transactions_app/transaction/", params)
    assert len(response.context["cl"].result_list) == rows
