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


def test_the_case_page_puts_the_decision_first_and_folds_the_technical_fields(
    admin_client,
):
    tx = stored_transaction("fraud")
    html = admin_client.get(f"{CHANGELIST}{tx.pk}/change/").content.decode()
    headings = [
        html.index(f'class="fieldset-heading">{title}</h2>')
        for title in (
            "Decision",
            "Why it was flagged",
            "Transaction",
            "Activity",
            "Technical",
        )
    ]
    assert headings == sorted(headings)
    assert html.rindex("<details>", 0, headings[-1]) > headings[-2]  # folded
    assert html.index("Kafka topic") > headings[-1]
    assert "observed 950.00 EUR (threshold &gt;= 900 EUR)" in html
    assert '{"rule"' not in html[: headings[-1]]  # no raw JSON above the fold


def test_a_reason_holding_markup_stays_text_on_the_case_page(admin_client):
    tx = stored_transaction("fraud")
    tx.reasons = [
        {
            "rule": "<b>r</b>",
            "version": 1,
            "observed": "<script>alert(1)</script>",
            "threshold": "<i>t</i>",
            "score": 10,
            "window": 600,
            "description": "<img src=x onerror=alert(2)>",
        }
    ]
    tx.rule_versions = {"<svg onload=alert(3)>": 1}
    tx.save()
    html = admin_client.get(f"{CHANGELIST}{tx.pk}/change/").content.decode()
    for markup in ("<script>alert(1)", "<img src=x", "<svg onload", "<b>r</b>"):
        assert markup not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "over the last 10 minutes" in html


def test_the_case_page_links_the_open_cases_on_the_same_accounts(admin_client):
    subject = stored_transaction("fraud", source="<b>card</b>")
    other = stored_transaction("fraud", source="<b>card</b>")
    for row in (subject, other):
        row.review_status = "new"
        row.save()
    html = admin_client.get(f"{CHANGELIST}{subject.pk}/change/").content.decode()
    linked = html[html.index('class="fieldset-heading">Linked open cases</h2>') :]
    assert f'href="{CHANGELIST}{other.pk}/change/"' in linked
    assert str(other.transaction_id) in linked
    assert "<b>card</b>" not in html and "&lt;b&gt;card&lt;/b&gt;" in linked


def test_the_case_page_costs_a_bounded_number_of_queries(
    admin_client, django_assert_max_num_queries
):
    """At most 15 queries, whatever the linked cases and the activity."""
    subject = stored_transaction("fraud")
    subject.review_status = "new"  # with the review form
    subject.save()
    for _ in range(30):
        row = stored_transaction("fraud")
        row.review_status = "new"
        row.save()
    admin_client.get(f"{CHANGELIST}{subject.pk}/change/")  # session warmed
    with django_assert_max_num_queries(15):
        response = admin_client.get(f"{CHANGELIST}{subject.pk}/change/")
    assert response.status_code == 200
