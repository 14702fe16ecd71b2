"""The review's reads: the open cases linked to a case by its accounts,
an account's activity over time, and the findings a payment is part of."""

import uuid
from datetime import timedelta

import pytest

from tests.factories import NOW, TARGET, stored_payment, stored_transaction
from transactions_app.review.selectors import (
    account_activity_series,
    case_activity,
    findings_with_payment,
    linked_open_cases,
)

pytestmark = pytest.mark.django_db


def case(status="new", *, source="card-1"):
    row = stored_transaction("fraud", source=source)
    row.review_status = status
    row.save()
    return row


def test_open_cases_on_the_payer_or_the_receiver_are_linked():
    subject = case(source="card-1")
    same_payer = case("in_review", source="card-1")
    same_receiver = case("escalated", source="card-2")  # paid TARGET too
    case("confirmed", source="card-1")  # decided: not linked
    case("false_positive", source="card-3")
    stored_transaction("legit", source="card-1")  # no case at all
    linked = linked_open_cases(case=subject)
    assert {row.pk for row in linked} == {same_payer.pk, same_receiver.pk}
    assert subject.target == TARGET


def test_the_payer_paid_as_a_receiver_is_linked_too():
    subject = case(source="card-1")
    paid_back = stored_transaction("fraud", source="card-9")
    paid_back.target, paid_back.review_status = "card-1", "new"
    paid_back.save()
    assert [row.pk for row in linked_open_cases(case=subject)] == [paid_back.pk]


def test_linked_cases_are_bounded_and_one_query(django_assert_num_queries):
    subject = case(source="card-1")
    for _ in range(5):
        case(source="card-1")
    with django_assert_num_queries(1):
        linked = linked_open_cases(case=subject, limit=3)
    assert len(linked) == 3


def test_the_activity_series_is_one_role_over_the_period_oldest_first():
    old = stored_payment("card-1", "shop", "5.00", timestamp=NOW - timedelta(days=31))
    first = stored_payment("card-1", "shop", "12.50", timestamp=NOW - timedelta(days=2))
    flagged = stored_payment("card-1", "mule", "950.00", outcome="fraud")
    stored_payment("card-1", "shop", "7.00", timestamp=NOW + timedelta(seconds=1))
    stored_payment("shop", "card-1", "3.00")  # received: the other role
    series = account_activity_series(account="card-1", role="source", until=NOW)
    assert series["id"] == [str(first.transaction_id), str(flagged.transaction_id)]
    assert series["amount"] == [12.5, 950.0]
    assert series["flagged"] == [False, True]
    assert series["t"] == [first.timestamp.timestamp(), NOW.timestamp()]
    assert not series["truncated"]
    assert str(old.transaction_id) not in series["id"]
    received = account_activity_series(account="card-1", role="target", until=NOW)
    assert received["amount"] == [3.0]


def test_the_activity_series_keeps_the_newest_at_its_limit(django_assert_num_queries):
    for minutes in range(4):
        stored_payment(
            "shop",
            "card-1",
            f"{minutes + 1}.00",
            timestamp=NOW - timedelta(minutes=minutes),
        )
    with django_assert_num_queries(1):
        at_limit = account_activity_series(
            account="card-1", role="target", until=NOW, limit=4
        )
    assert not at_limit["truncated"] and len(at_limit["t"]) == 4
    past = account_activity_series(account="card-1", role="target", until=NOW, limit=3)
    assert past["truncated"]
    assert past["amount"] == [3.0, 2.0, 1.0]  # the newest three, oldest first


def test_the_activity_series_refuses_an_unknown_role():
    with pytest.raises(ValueError, match="role must be one of"):
        account_activity_series(account="card-1", role="device_id", until=NOW)


def test_a_case_activity_shows_its_payer_sent_and_its_receiver_received():
    subject = case(source="card-1")
    stored_payment("card-2", TARGET, "20.00")
    activity = case_activity(case=subject)
    assert activity["case"]["id"] == str(subject.transaction_id)
    assert activity["payer"]["account"] == "card-1"
    assert activity["payer"]["flagged"] == [True]
    assert sorted(activity["receiver"]["amount"]) == [20.0, 950.0]


def test_the_findings_a_payment_is_part_of_are_one_bounded_query(
    django_assert_num_queries,
):
    from transactions_app.models import TypologyFinding

    wanted, other = uuid.uuid4(), uuid.uuid4()
    for n in range(12):
        TypologyFinding.objects.create(
            typology="cycle",
            key=f"cycle:{n}",
            accounts=["a", "b", "a"],
            transaction_ids=[str(other), str(wanted)] if n % 6 else [str(other)],
            explanation="",
            amount="1.00",
            currency="EUR",
            first_at=NOW,
            last_at=NOW,
        )
    with django_assert_num_queries(1):
        found = findings_with_payment(transaction_id=wanted, limit=5)
    assert [f.key for f in found] == [f"cycle:{n}" for n in (11, 10, 9, 8, 7)]
    assert len(findings_with_payment(transaction_id=wanted)) == 10
    assert findings_with_payment(transaction_id=uuid.uuid4()) == []
