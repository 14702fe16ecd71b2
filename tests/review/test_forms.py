"""The review form on a case's admin page: status changes with a note, a
note alone, assignment, and refusal of a change made on a page that is out
of date (another analyst acted meanwhile)."""

import pytest
from django.contrib.auth.models import Group, Permission

from tests.factories import stored_transaction
from transactions_app.models import ReviewEvent, Transaction
from transactions_app.review.services import transaction_review

pytestmark = pytest.mark.django_db


def flagged() -> Transaction:
    row = stored_transaction("fraud")
    row.review_status = "new"
    row.save()
    return row


def page(case) -> str:
    return f"/admin/transactions_app/transaction/{case.pk}/change/"


def review_url(case) -> str:
    return f"/admin/transactions_app/transaction/{case.pk}/review/"


def analyst(django_user_model, name="ana"):
    user = django_user_model.objects.create_user(name, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Analyst"))
    return user


@pytest.fixture
def ana(client, django_user_model):
    user = analyst(django_user_model)
    client.force_login(user)
    return user


def post(client, case, **data):
    data = {"action": "save", "review_version": case.review_version, **data}
    return client.post(review_url(case), data, follow=True)


def test_the_case_page_offers_only_the_moves_the_workflow_allows(client, ana):
    case = flagged()
    Transaction.objects.filter(pk=case.pk).update(review_status="confirmed")
    html = client.get(page(case)).content.decode()
    assert 'name="review_version" value="0"' in html
    assert '<option value="in_review">In review</option>' in html  # reopen
    assert 'value="false_positive"' not in html
    assert "Assign to me" in html and "Unassign" not in html


def test_a_status_change_with_a_note_is_recorded(client, ana):
    case = flagged()
    response = post(client, case, to_status="confirmed", note="card reported stolen")
    assert f"Transaction {case.transaction_id} marked confirmed fraud." in (
        response.content.decode()
    )
    case.refresh_from_db()
    assert (case.review_status, case.review_version) == ("confirmed", 1)
    event = case.review_events.get()
    assert (event.actor, event.from_status, event.to_status, event.note) == (
        ana,
        "new",
        "confirmed",
        "card reported stolen",
    )


def test_a_page_that_is_out_of_date_cannot_overwrite_a_decision(
    client, ana, django_user_model
):
    """Ana's page shows version 0; Ben dismisses the case meanwhile; Ana's
    confirmation is refused with a message and Ben's decision stands."""
    case = flagged()
    ben = analyst(django_user_model, "ben")
    transaction_review(
        transaction_id=case.pk,
        reviewer=ben,
        to_status="false_positive",
        expected_version=0,
    )
    response = post(client, case, to_status="confirmed", note="fraud")
    html = response.content.decode()
    assert "was changed meanwhile by ben; reload it and try again." in html
    case.refresh_from_db()
    assert (case.review_status, case.review_version) == ("false_positive", 1)
    assert ReviewEvent.objects.count() == 1


def test_a_note_alone_keeps_the_status_and_joins_the_trail(client, ana):
    case = flagged()
    response = post(client, case, note="called the card holder")
    assert "noted." in response.content.decode()
    case.refresh_from_db()
    assert case.review_status == "new"
    assert list(case.review_events.values_list("from_status", "to_status", "note")) == [
        ("new", "new", "called the card holder")
    ]
    assert "called the card holder" in client.get(page(case)).content.decode()


def test_saving_nothing_says_what_is_missing(client, ana):
    case = flagged()
    response = post(client, case)
    assert "Choose a new status or write a note." in response.content.decode()
    assert not ReviewEvent.objects.exists()


def test_a_post_without_the_version_it_was_made_on_changes_nothing(client, ana):
    case = flagged()
    response = client.post(
        review_url(case), {"action": "save", "to_status": "confirmed"}, follow=True
    )
    assert "Review version: This field is required." in response.content.decode()
    assert not ReviewEvent.objects.exists()


def test_a_move_outside_the_workflow_is_refused(client, ana):
    case = flagged()
    Transaction.objects.filter(pk=case.pk).update(review_status="escalated")
    response = post(client, case, to_status="new")
    assert "cannot go from Escalated to New." in response.content.decode()
    assert not ReviewEvent.objects.exists()


def test_assign_to_me_and_unassign(client, ana):
    case = flagged()
    post(client, case, action="assign_me")
    case.refresh_from_db()
    assert (case.assignee, case.review_version) == (ana, 1)
    assert "Unassign" in client.get(page(case)).content.decode()
    response = post(client, case, action="unassign", note="on leave")
    assert "unassigned." in response.content.decode()
    case.refresh_from_db()
    assert case.assignee is None
    assert [(e.assignee, e.note) for e in case.review_events.all()] == [
        (ana, ""),
        (None, "on leave"),
    ]


def test_legit_transactions_have_no_review_form(client, ana):
    legit = stored_transaction("legit")
    assert 'id="review"' not in client.get(page(legit)).content.decode()


def test_the_form_needs_a_csrf_token(django_user_model):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst(django_user_model))
    case = flagged()
    response = client.post(review_url(case), {"action": "save", "review_version": 0})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.review_version == 0


def test_only_reviewers_see_and_use_the_form(client, django_user_model):
    case = flagged()
    viewer = django_user_model.objects.create_user("vic", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_transaction"))
    client.force_login(viewer)
    assert 'id="review"' not in client.get(page(case)).content.decode()
    response = client.post(
        review_url(case), {"action": "assign_me", "review_version": 0}
    )
    assert response.status_code == 403

    manager = django_user_model.objects.create_user("rim", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name="Rule manager"))
    client.force_login(manager)
    response = client.post(
        review_url(case), {"action": "assign_me", "review_version": 0}
    )
    assert response.status_code == 403

    outsider = django_user_model.objects.create_user("eve", password="x")
    client.force_login(outsider)
    response = client.post(
        review_url(case), {"action": "assign_me", "review_version": 0}
    )
    assert response.status_code == 302 and "/login/" in response["Location"]
    case.refresh_from_db()
    assert (case.assignee, case.review_version) == (None, 0)


def test_the_review_address_takes_posts_only(client, ana):
    assert client.get(review_url(flagged())).status_code == 405


def test_rule_managers_see_the_case_without_the_form(client, django_user_model):
    manager = django_user_model.objects.create_user("rim", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name="Rule manager"))
    client.force_login(manager)
    response = client.get(page(flagged()))
    assert response.status_code == 200
    assert 'id="review"' not in response.content.decode()


def test_a_status_change_can_take_the_linked_open_cases_with_it(client, ana):
    case, linked, decided = flagged(), flagged(), flagged()  # same accounts
    transaction_review(
        transaction_id=decided.pk,
        reviewer=ana,
        to_status="false_positive",
        expected_version=0,
    )
    html = client.get(page(case)).content.decode()
    assert "Apply the new status to the linked open cases too" in html
    shown = f"{linked.pk}"
    assert f'name="linked_ids" value="{shown}"' in html
    response = post(
        client,
        case,
        to_status="confirmed",
        note="same card",
        also_linked="on",
        linked_ids=f"{linked.pk},{decided.pk}",
    )
    assert "1 linked case(s) too" in response.content.decode()
    statuses = dict(Transaction.objects.values_list("pk", "review_status"))
    assert statuses[case.pk] == statuses[linked.pk] == "confirmed"
    assert statuses[decided.pk] == "false_positive"  # closed: not linked
    assert ReviewEvent.objects.filter(transaction=linked, note="same card").exists()


def test_linked_cases_the_page_did_not_show_are_left_alone(client, ana):
    case = flagged()
    html = client.get(page(case)).content.decode()
    assert "linked open cases too" not in html  # none to show
    later = flagged()  # linked, but opened after the page was rendered
    response = post(
        client, case, to_status="confirmed", also_linked="on", linked_ids=""
    )
    assert "no linked open case left to mark" in response.content.decode()
    assert Transaction.objects.get(pk=later.pk).review_status == "new"


def test_without_the_box_ticked_the_linked_cases_keep_their_status(client, ana):
    case, linked = flagged(), flagged()
    post(client, case, to_status="confirmed", linked_ids=f"{linked.pk}")
    assert Transaction.objects.get(pk=linked.pk).review_status == "new"


def test_a_tampered_list_of_linked_ids_gets_a_message(client, ana):
    case = flagged()
    response = post(client, case, to_status="confirmed", linked_ids="1,<x>")
    assert "not a list of case ids" in response.content.decode()
    assert Transaction.objects.get(pk=case.pk).review_status == "new"


def test_the_decision_buttons_offer_the_allowed_moves_with_their_keys(client, ana):
    case = flagged()
    html = client.get(page(case)).content.decode()
    header = html[html.index('id="decision"') : html.index('id="review"')]
    for key, label in (("f", "Confirm fraud"), ("d", "Dismiss"), ("e", "Escalate")):
        assert f'data-key="{key}">{label}' in header
    assert 'data-key="a">Assign to me' in header
    assert html.index('id="decision"') < html.index("Why it was flagged")
    Transaction.objects.filter(pk=case.pk).update(review_status="confirmed")
    header = client.get(page(case)).content.decode()
    assert 'data-key="f"' not in header and 'data-key="r">In review' in header


def test_a_decision_button_records_the_decision(client, ana):
    case = flagged()
    response = post(client, case, to_status="false_positive")
    assert "marked false positive" in response.content.decode()
    assert Transaction.objects.get(pk=case.pk).review_status == "false_positive"
