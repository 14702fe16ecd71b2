"""Django admin lists classified transactions; flagged ones are a filter
away, and the stream's records cannot be edited there."""

import pytest

from tests.factories import stored_transaction

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/transactions_app/transaction/"


def listed_ids(response) -> set[str]:
    return {str(row.transaction_id) for row in response.context["cl"].result_list}


def test_flagged_filter_lists_review_and_fraud(admin_client):
    legit, review, fraud = (
        stored_transaction("legit"),
        stored_transaction("review"),
        stored_transaction("fraud"),
    )
    response = admin_client.get(CHANGELIST, {"flagged": "yes"})
    assert response.status_code == 200
    assert listed_ids(response) == {
        str(review.transaction_id),
        str(fraud.transaction_id),
    }
    response = admin_client.get(CHANGELIST, {"flagged": "no"})
    assert listed_ids(response) == {str(legit.transaction_id)}


def test_outcome_filter_and_search(admin_client):
    fraud = stored_transaction("fraud", source="m1N2b3V4c5X6")
    stored_transaction("legit")
    assert listed_ids(admin_client.get(CHANGELIST, {"outcome": "fraud"})) == {
        str(fraud.transaction_id)
    }
    assert listed_ids(admin_client.get(CHANGELIST, {"q": "m1N2b3V4c5X6"})) == {
        str(fraud.transaction_id)
    }
    assert listed_ids(
        admin_client.get(CHANGELIST, {"q": str(fraud.transaction_id)})
    ) == {str(fraud.transaction_id)}


def test_transactions_are_read_only(admin_client):
    tx = stored_transaction("fraud")
    response = admin_client.get(f"{CHANGELIST}{tx.pk}/change/")
    assert response.status_code == 200
    assert b'name="amount"' not in response.content
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403


def test_staff_without_permission_is_refused(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(CHANGELIST).status_code == 403
