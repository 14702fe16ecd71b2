"""Per-rule precision (confirmed / (confirmed + false positives) over the
transactions where the rule fired), in the rule list and on the review
statistics page, computed from real rows."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import stored_transaction
from transactions_app.models import Rule
from transactions_app.review.selectors import review_status_counts
from transactions_app.rules.quality import rule_review_stats, rules_with_review_counts

pytestmark = pytest.mark.django_db

STATS = "/review/stats/"
RULES = "/admin/transactions_app/rule/"


def fired(*rules: str, outcome="fraud", status="") -> None:
    row = stored_transaction(outcome)
    row.reasons = [{"rule": rule, "version": 1, "score": 50} for rule in rules]
    row.review_status = status
    row.save()


@pytest.fixture
def decided():
    fired("amount_threshold", "velocity", status="confirmed")
    fired("amount_threshold", status="false_positive")
    fired("velocity", status="confirmed")
    fired("amount_threshold", status="new")
    fired("velocity", "velocity", status="escalated")  # counted once
    fired("velocity", outcome="legit")  # fired, stayed below the bands
    stored_transaction("legit")


def by_rule() -> dict:
    return {row["rule"]: row for row in rule_review_stats()}


def test_per_rule_counts_and_precision(decided):
    stats = by_rule()
    assert stats["amount_threshold"] == {
        "rule": "amount_threshold",
        "fired": 3,
        "confirmed": 1,
        "false_positives": 1,
        "precision": 0.5,
        "open": 1,
    }
    velocity = stats["velocity"]
    assert (velocity["fired"], velocity["open"], velocity["precision"]) == (4, 1, 1.0)
    assert stats["card_testing"]["fired"] == 0
    assert stats["card_testing"]["precision"] is None


def test_counts_per_review_status(decided):
    assert review_status_counts() == [
        ("New", 1),
        ("In review", 0),
        ("Confirmed fraud", 2),
        ("False positive", 1),
        ("Escalated", 1),
    ]


def test_the_annotated_rules_agree_with_the_stats(decided):
    rules = {rule.name: rule for rule in rules_with_review_counts()}
    for name, row in by_rule().items():
        assert (rules[name].confirmed, rules[name].false_positives) == (
            row["confirmed"],
            row["false_positives"],
        )


def test_the_rule_list_shows_precision(admin_client, decided):
    html = admin_client.get(RULES).content.decode()
    assert "0.50 (1 of 2)" in html  # amount_threshold
    assert "1.00 (2 of 2)" in html  # velocity
    assert "Review statistics" in html


def test_the_rule_list_costs_the_same_queries_for_more_rules(admin_client, decided):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(RULES).status_code == 200
        return len(captured)

    before = queries()
    Rule.objects.bulk_create(
        Rule(name=f"extra-{n}", kind="velocity") for n in range(30)
    )
    assert queries() == before


def test_the_stats_page_lists_rules_and_statuses(admin_client, decided):
    response = admin_client.get(STATS)
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "<td>amount_threshold</td>\n          <td>3</td>\n          <td>1</td>\n"
        "          <td>1</td>\n          <td>0.50</td>\n          <td>1</td>"
    ) in html
    assert '<tr><th scope="row">Confirmed fraud</th><td>2</td></tr>' in html


def test_the_stats_page_allows_no_inline_script(admin_client):
    policy = admin_client.get(STATS)["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy


def test_rule_names_from_the_stream_are_shown_as_text(admin_client):
    fired("<script>alert(1)</script>", status="new")
    html = admin_client.get(STATS).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def user_with(django_user_model, name, *, group=None, staff=True):
    user = django_user_model.objects.create_user(name, password="x", is_staff=staff)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.mark.parametrize(
    ("group", "staff", "status"),
    [("Analyst", True, 200), ("Rule manager", True, 200), (None, True, 403)],
)
def test_who_sees_the_stats_page(client, django_user_model, group, staff, status):
    client.force_login(user_with(django_user_model, "someone", group=group))
    assert client.get(STATS).status_code == status


def test_non_staff_and_anonymous_users_are_sent_to_log_in(client, django_user_model):
    assert "/login/" in client.get(STATS)["Location"]
    client.force_login(user_with(django_user_model, "eve", staff=False))
    assert "/login/" in client.get(STATS)["Location"]


def test_a_staff_member_with_only_other_permissions_is_refused(
    client, django_user_model
):
    user = user_with(django_user_model, "dan")
    user.user_permissions.add(Permission.objects.get(codename="view_deadletter"))
    client.force_login(user)
    assert client.get(STATS).status_code == 403


def test_the_portable_counts_match_postgresql(decided):
    """Without ``jsonb`` (SQLite) the same counts come from a pass in
    Python; here both run on the same rows and must agree."""
    from collections import Counter

    from transactions_app.models import Transaction
    from transactions_app.review.selectors import transactions_where_rule_fired
    from transactions_app.rules.quality import (
        RULE_STATUS_COUNTS,
        _rule_status_counts_portable,
        _rules_with_review_counts_portable,
    )

    with connection.cursor() as cursor:
        cursor.execute(RULE_STATUS_COUNTS)
        in_sql = Counter({(rule, status): n for rule, status, n in cursor.fetchall()})
    in_python = Counter()
    for rule, status, n in _rule_status_counts_portable():
        in_python[(rule, status)] += n
    assert in_python == in_sql

    portable = {
        r.name: (r.confirmed, r.false_positives)
        for r in _rules_with_review_counts_portable(Rule.objects.all())
    }
    assert portable == {
        r.name: (r.confirmed, r.false_positives) for r in rules_with_review_counts()
    }
    assert portable["amount_threshold"] == (1, 1)

    everything = Transaction.objects.all()
    velocity = transactions_where_rule_fired(everything, "velocity")
    assert velocity.count() == 4
    assert set(velocity) == set(
        everything.filter(reasons__contains=[{"rule": "velocity"}])
    )
