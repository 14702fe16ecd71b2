"""The review's reads: the open cases linked to a case by its accounts."""

import pytest

from tests.factories import TARGET, stored_transaction
from transactions_app.review.selectors import linked_open_cases

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
