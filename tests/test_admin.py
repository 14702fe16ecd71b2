"""Django admin lists classified transactions; flagged ones are a filter
away, and the stream's records cannot be edited there."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from transactions_app.models import Transaction

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
CHANGELIST = "/admin/transactions_app/transaction/"


def stored(outcome: str, source: str = "a1B2c3D4e5F6") -> Transaction:
    return Transaction.objects.create(
        transaction_id=uuid.uuid4(),
        source=source,
        target="Z9y8X7w6V5u4",
        amount=Decimal("950.00" if outcome != "legit" else "10.00"),
        currency="EUR",
        timestamp=NOW,
        received_at=NOW,
        outcome=outcome,
        score=100 if outcome == "fraud" else 0,
        reasons=[],
        kafka_topic="queuing.transactions",
        kafka_partition=0,
        kafka_offset=1,
    )


def listed_ids(response) -> set[str]:
    return {str(row.transaction_id) for row in response.context["cl"].result_list}


def test_flagged_filter_lists_review_and_fraud(admin_client):
    legit, review, fraud = stored("legit"), stored("review"), stored("fraud")
    response = admin_client.get(CHANGELIST, {"flagged": "yes"})
    assert response.status_code == 200
    assert listed_ids(response) == {
        str(review.transaction_id),
        str(fraud.transaction_id),
    }
    response = admin_client.get(CHANGELIST, {"flagged": "no"})
    assert listed_ids(response) == {str(legit.transaction_id)}


def test_outcome_filter_and_search(admin_client):
    fraud = stored("fraud", source="m1N2b3V4c5X6")
    stored("legit")
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
    tx = stored("fraud")
    response = admin_client.get(f"{CHANGELIST}{tx.pk}/change/")
    assert response.status_code == 200
    assert b'name="amount"' not in response.content
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403


def test_staff_without_permission_is_refused(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(CHANGELIST).status_code == 403
