"""The work queues: which open cases each holds, their priority order
(score, then time to the review deadline, then amount), the next-case
button following the queue a case was opened from, and the countdown to
the deadline."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import stored_transaction
from transactions_app.models import Transaction
from transactions_app.review.queues import (
    UnknownQueue,
    countdown_words,
    next_in_queue,
    queue_filter,
    review_deadline,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/transactions_app/transaction/"
T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def case(status="new", *, assignee=None, score=100, amount="950.00", minutes=0):
    row = stored_transaction("fraud", amount=amount)
    row.review_status, row.assignee, row.score = status, assignee, score
    row.received_at = T0 + timedelta(minutes=minutes)
    row.save()
    return row


def in_queue(queue, user) -> list[int]:
    return [
        row.pk
        for row in queue_filter(
            Transaction.objects.all(), queue=queue, user=user
        ).order_by("-score", "received_at", "-amount", "id")
    ]


def test_each_queue_holds_its_open_cases(admin_user, django_user_model):
    other = django_user_model.objects.create_user("ben", is_staff=True)
    mine = case("in_review", assignee=admin_user)
    mine_escalated = case("escalated", assignee=admin_user)
    unassigned = case("new")
    theirs = case("new", assignee=other)
    escalated = case("escalated")
    case("confirmed", assignee=admin_user)  # decided: in no queue
    case("false_positive")
    stored_transaction("legit")
    assert set(in_queue("mine", admin_user)) == {mine.pk, mine_escalated.pk}
    assert in_queue("unassigned", admin_user) == [unassigned.pk]
    assert set(in_queue("escalated", admin_user)) == {mine_escalated.pk, escalated.pk}
    assert theirs.pk not in in_queue("mine", admin_user)
    with pytest.raises(UnknownQueue, match="There is no queue 'all'"):
        queue_filter(Transaction.objects.all(), queue="all", user=admin_user)


def test_priority_is_score_then_deadline_then_amount(admin_user):
    low_score = case(score=40)
    later = case(minutes=10)
    smaller = case(amount="900.00")
    first = case()
    assert in_queue("unassigned", admin_user) == [
        first.pk,
        smaller.pk,
        later.pk,
        low_score.pk,
    ]
    assert next_in_queue(queue="unassigned", user=admin_user) == first
    after_first = next_in_queue(queue="unassigned", user=admin_user, after=first.pk)
    assert after_first == smaller


def test_the_countdown_says_the_time_left_or_how_late():
    deadline = T0 + timedelta(hours=24)
    assert countdown_words(deadline, now=T0) == "1 d 0 h left"
    assert countdown_words(deadline, now=deadline - timedelta(minutes=185)) == (
        "3 h 05 min left"
    )
    assert countdown_words(deadline, now=deadline) == "0 min left"
    assert countdown_words(deadline, now=deadline + timedelta(seconds=60)) == (
        "overdue by 1 min"
    )
    row = case()
    assert review_deadline(row, sla_hours=1.5) == T0 + timedelta(minutes=90)


def test_the_changelist_queue_is_in_priority_order_with_its_countdown(
    admin_client, settings
):
    settings.REVIEW_SLA_HOURS = 24
    low, high = case(score=40), case()
    html = admin_client.get(CHANGELIST, {"queue": "unassigned"}).content.decode()
    assert html.index(str(high.transaction_id)[:8]) < html.index(
        str(low.transaction_id)[:8]
    )
    assert 'class="countdown"' in html and "overdue by" in html  # stored in May
    assert f'title="{high.transaction_id}"' in html  # the whole id as tooltip
    refused = admin_client.get(CHANGELIST, {"queue": "all"}, follow=True)
    assert "There is no queue &#x27;all&#x27;" in refused.content.decode()


def test_the_next_button_follows_the_queue_the_case_came_from(admin_client, admin_user):
    first = case("escalated")
    second = case("escalated", score=50)
    page = admin_client.get(
        f"{CHANGELIST}{first.pk}/change/",
        {"_changelist_filters": "queue=escalated"},
    ).content.decode()
    assert 'name="queue" value="escalated"' in page and 'data-key="n"' in page
    response = admin_client.post(
        "/review/next/", {"queue": "escalated", "after": first.pk}
    )
    assert response["Location"] == (
        f"{CHANGELIST}{second.pk}/change/?_changelist_filters=queue%3Descalated"
    )
    second.refresh_from_db()
    assert second.assignee is None  # read, not taken
    not_a_case = admin_client.post(
        "/review/next/", {"queue": "escalated", "after": "x"}
    )
    assert not_a_case["Location"].startswith(f"{CHANGELIST}{first.pk}/change/")
    Transaction.objects.filter(pk=first.pk).update(review_status="confirmed")
    empty = admin_client.post(
        "/review/next/", {"queue": "escalated", "after": second.pk}, follow=True
    )
    assert empty.redirect_chain[-1][0] == f"{CHANGELIST}?queue=escalated"
    assert "No other escalated cases are waiting." in empty.content.decode()
    unknown = admin_client.post("/review/next/", {"queue": "all"}, follow=True)
    assert "There is no queue &#x27;all&#x27;." in unknown.content.decode()


def test_a_decision_keeps_the_case_in_its_queue(admin_client):
    row = case()
    response = admin_client.post(
        f"{CHANGELIST}{row.pk}/review/?_changelist_filters=queue%3Dunassigned",
        {"review_version": 0, "action": "save", "to_status": "confirmed"},
    )
    assert response["Location"] == (
        f"{CHANGELIST}{row.pk}/change/?_changelist_filters=queue%3Dunassigned"
    )


def test_a_case_page_outside_a_queue_offers_no_next_button(admin_client):
    row = case()
    page = admin_client.get(f"{CHANGELIST}{row.pk}/change/").content.decode()
    assert 'data-key="n"' not in page
