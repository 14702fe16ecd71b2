"""Findings in admin: analysts see the list and a finding's page, decide
with the review permission (an audit entry each, a stale page refused),
and every account id stays text."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils.html import escape

from tests.factories import found_cycle, stored_payment
from transactions_app.models import FindingEvent, Transaction, TypologyFinding

pytestmark = pytest.mark.django_db

LIST = "/admin/transactions_app/typologyfinding/"
CASES = "/admin/transactions_app/transaction/"
PAYLOAD = "<img src=x onerror=alert(1)>"


@pytest.fixture
def analyst(client, django_user_model):
    user = django_user_model.objects.create_user("ana", is_staff=True)
    user.groups.add(Group.objects.get(name="Analyst"))
    client.force_login(user)
    return client


def page(pk) -> str:
    return f"{LIST}{pk}/change/"


def decide(client, pk, **data):
    """Post the finding's page as the browser does (with the audit trail's
    empty management form)."""
    form = {"events-TOTAL_FORMS": 0, "events-INITIAL_FORMS": 0, "note": ""}
    return client.post(page(pk), form | data)


def test_an_analyst_sees_the_list_and_the_finding(analyst):
    case = found_cycle()
    listing = analyst.get(LIST).content.decode()
    assert "Cycle" in listing and "a → … → a (4)" in listing
    body = analyst.get(page(case.pk)).content.decode()
    assert "Money went round 3 accounts" in body
    assert body.count('<tr><td><a href="/admin/transactions_app/transaction/') == 3
    assert "/review/network/?account=b" in body


def test_the_list_is_searched_by_an_account(analyst):
    found_cycle()
    found_cycle(("acct-x", "acct-y", "acct-z"))
    body = analyst.get(LIST, {"q": "acct-y"}).content.decode()
    assert "acct-x → … → acct-x" in body and "a → … → a" not in body


def test_a_decision_is_recorded_with_its_note(analyst):
    case = found_cycle()
    response = decide(
        analyst, case.pk, to_status="confirmed", note="known ring", seen_version=0
    )
    assert response.status_code == 302, response.context["errors"]
    case.refresh_from_db()
    assert case.review_status == "confirmed"
    (event,) = FindingEvent.objects.all()
    assert (event.from_status, event.to_status, event.note) == (
        "new",
        "confirmed",
        "known ring",
    )


def test_a_decision_on_a_stale_page_is_refused_with_a_message(analyst):
    case = found_cycle()
    response = decide(analyst, case.pk, to_status="confirmed", seen_version=3)
    assert response.status_code == 200
    assert "changed meanwhile" in response.content.decode()
    assert FindingEvent.objects.count() == 0


def test_a_move_the_workflow_does_not_offer_is_refused(analyst):
    case = found_cycle()
    response = decide(analyst, case.pk, to_status="new", seen_version=0)
    assert "Select a valid choice" in response.content.decode()
    assert FindingEvent.objects.count() == 0


def test_a_bulk_action_confirms_each_with_its_entry(analyst):
    cases = [found_cycle(), found_cycle(("x", "y", "z"))]
    analyst.post(
        LIST,
        {"action": "confirm_laundering", "_selected_action": [c.pk for c in cases]},
    )
    assert set(TypologyFinding.objects.values_list("review_status", flat=True)) == {
        "confirmed"
    }
    assert FindingEvent.objects.count() == 2


def test_without_the_review_permission_the_finding_is_only_shown(
    analyst, django_user_model
):
    user = django_user_model.objects.get(username="ana")
    user.groups.clear()
    user.user_permissions.add(Permission.objects.get(codename="view_typologyfinding"))
    case = found_cycle()
    assert analyst.get(page(case.pk)).status_code == 200
    response = decide(analyst, case.pk, to_status="confirmed", seen_version=0)
    assert response.status_code == 403
    assert TypologyFinding.objects.get().review_status == "new"


def test_anonymous_users_are_sent_to_log_in(client):
    case = found_cycle()
    for url in (LIST, page(case.pk)):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_account_id_with_markup_stays_text(analyst):
    case = found_cycle((PAYLOAD, "b", "c"))
    for body in (
        analyst.get(LIST).content.decode(),
        analyst.get(page(case.pk)).content.decode(),
    ):
        assert PAYLOAD not in body
        assert "&lt;img src=x onerror=alert(1)&gt;" in body


def test_a_payments_case_page_links_the_findings_it_is_part_of(analyst):
    case = found_cycle((PAYLOAD, "b", "c"))
    payment = Transaction.objects.get(transaction_id=case.transaction_ids[0])
    other = Transaction.objects.get(source="b")
    stored_payment("d", "e")  # in no finding
    body = analyst.get(f"{CASES}{payment.pk}/change/").content.decode()
    shown = body[body.index('class="fieldset-heading">Typology findings</h2>') :]
    assert f'href="{page(case.pk)}"' in shown
    assert "Money went round 3 accounts" in shown
    assert PAYLOAD not in body and escape(PAYLOAD) in shown
    assert (
        f'href="{page(case.pk)}"'
        in analyst.get(f"{CASES}{other.pk}/change/").content.decode()
    )
    alone = Transaction.objects.get(source="d")
    body = analyst.get(f"{CASES}{alone.pk}/change/").content.decode()
    assert page(case.pk) not in body
