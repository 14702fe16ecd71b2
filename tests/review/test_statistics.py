"""The review statistics page's trends on known rows (flagged and confirmed
per day, precision per rule and week, time to a first decision, open cases
by age), a query each whatever the data; the page refused to whoever may
not see it, and rule names from the stream kept as text.

``NOW`` is Monday 4 May 2026, 10:00 UTC: the 30 days are 5 April to 4 May,
the 12 weeks 16 February to 10 May."""

import json
import re
from collections import Counter
from datetime import timedelta
from html import unescape
from itertools import chain

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import NOW, stored_payment
from transactions_app.models import ReviewEvent
from transactions_app.review.statistics import (
    FIRST_DECISIONS,
    RULE_WEEK_DECISIONS,
    _first_decisions_portable,
    _rule_week_decisions_portable,
    flagged_per_day,
    open_cases_by_age,
    review_trends,
    rule_precision_per_week,
    time_to_decision_per_day,
)

pytestmark = pytest.mark.django_db

STATS = "/review/stats/"
TODAY = NOW.replace(hour=0)  # Monday: this week's first instant too
FIRST_DAY = TODAY - timedelta(days=29)  # 5 April
FIRST_WEEK = TODAY - timedelta(weeks=11)  # Monday 16 February
TICK = timedelta(microseconds=1)
PAYLOAD = "</script><img src=x onerror=alert(1)>"


def case(at=NOW, *, outcome="fraud", status="new", rules=("velocity",)):
    """A payment at ``at`` (and received then) on which ``rules`` fired."""
    row = stored_payment(
        "card-1", "shop", "950.00", outcome=outcome, timestamp=at, review_status=status
    )
    row.reasons = [{"rule": rule, "version": 1, "score": 50} for rule in rules]
    row.save(update_fields=["reasons"])
    return row


def decision(row, *, at, to_status="confirmed", from_status="new"):
    """A step of ``row``'s audit trail, back-dated to ``at``."""
    event = ReviewEvent.objects.create(
        transaction=row, from_status=from_status, to_status=to_status
    )
    ReviewEvent.objects.filter(pk=event.pk).update(at=at)


def decided(*, waited, at=NOW, to_status="confirmed"):
    """A case received ``waited`` before its first decision at ``at``."""
    row = case(at - waited, status=to_status)
    decision(row, at=at, to_status=to_status)
    return row


def by_date(days: list[dict]) -> dict:
    return {day["date"]: day for day in days}


def nonzero(days: list[dict], key: str) -> dict:
    return {day["date"]: day[key] for day in days if day[key]}


# Flagged and confirmed per day


def test_flagged_and_confirmed_are_counted_per_day():
    """Review and fraud outcomes count as flagged on the day of the payment;
    the confirmed ones among them as confirmed; legit payments not at all."""
    case(NOW, status="confirmed")
    case(NOW, outcome="review", status="new")
    case(NOW - timedelta(days=1), status="false_positive")
    case(NOW, outcome="legit", status="", rules=())
    trend = flagged_per_day(now=NOW)
    assert by_date(trend["days"])["2026-05-04"] == {
        "date": "2026-05-04",
        "t": TODAY.timestamp(),
        "flagged": 2,
        "confirmed": 1,
    }
    assert nonzero(trend["days"], "flagged") == {"2026-05-04": 2, "2026-05-03": 1}
    assert (trend["flagged"], trend["confirmed"]) == (3, 1)


def test_the_thirty_days_end_today_and_start_at_midnight_29_days_before():
    """The window is 30 whole UTC days, today's included: a payment at the
    first day's midnight counts on it; one a microsecond earlier, or exactly
    30 days old (on the day before), does not; today's last instant counts,
    tomorrow's midnight does not."""
    case(FIRST_DAY)
    case(FIRST_DAY - TICK)
    case(NOW - timedelta(days=30))
    case(TODAY + timedelta(days=1) - TICK)
    case(TODAY + timedelta(days=1))
    trend = flagged_per_day(now=NOW)
    dates = [day["date"] for day in trend["days"]]
    assert (len(dates), dates[0], dates[-1]) == (30, "2026-04-05", "2026-05-04")
    assert nonzero(trend["days"], "flagged") == {"2026-04-05": 1, "2026-05-04": 1}


# Precision per rule and week


def test_precision_per_rule_and_week():
    """Per week of the payments' time, confirmed / decided among the cases a
    rule fired on; a case opened but undecided is no decision; a rule that
    fired twice on a case counts the case once; a week with no decided case
    has no precision."""
    case(TODAY, status="confirmed", rules=("velocity", "velocity"))  # Monday
    case(TODAY - TICK, status="false_positive")  # last week's Sunday
    case(TODAY - timedelta(days=6), status="confirmed", rules=("velocity", "amount"))
    case(TODAY, status="false_positive", rules=("amount",))
    case(TODAY, status="new", rules=("amount",))
    trend = rule_precision_per_week(now=NOW)
    weeks = [week["date"] for week in trend["weeks"]]
    assert (len(weeks), weeks[0], weeks[-1]) == (12, "2026-02-16", "2026-05-04")
    assert trend["weeks"][-1]["t"] == TODAY.timestamp()
    lines = {line["rule"]: line["weeks"] for line in trend["rules"]}
    assert list(lines) == ["amount", "velocity"]
    assert lines["velocity"][-1] == {"confirmed": 1, "decided": 1, "precision": 1.0}
    assert lines["velocity"][-2] == {"confirmed": 1, "decided": 2, "precision": 0.5}
    assert lines["amount"][-1] == {"confirmed": 0, "decided": 1, "precision": 0.0}
    assert lines["amount"][-2]["precision"] == 1.0
    assert [cell["precision"] for cell in lines["velocity"][:-2]] == [None] * 10
    assert trend["truncated"] is False


def test_the_twelve_weeks_start_on_a_monday_eleven_weeks_back():
    """A decided case at the first Monday's midnight counts in the first
    week; one a microsecond earlier is outside, and a rule decided only
    there is not listed."""
    case(FIRST_WEEK, status="confirmed", rules=("velocity",))
    case(FIRST_WEEK - TICK, status="confirmed", rules=("before",))
    trend = rule_precision_per_week(now=NOW)
    assert [line["rule"] for line in trend["rules"]] == ["velocity"]
    assert trend["rules"][0]["weeks"][0]["decided"] == 1


def test_only_the_most_decided_rules_are_shown_past_the_limit():
    """Past ``limit`` rules, the most decided ones are kept, by name, and
    the trend says some were left out."""
    for rules in (("a", "b", "c"), ("b", "c"), ("c",)):
        case(NOW, status="confirmed", rules=rules)
    trend = rule_precision_per_week(now=NOW, limit=2)
    assert [line["rule"] for line in trend["rules"]] == ["b", "c"]
    assert trend["truncated"] is True


def test_the_portable_week_counts_match_postgresql():
    """Without ``jsonb`` the same counts come from a pass in Python; here
    both run on the same rows and must agree."""
    case(TODAY, status="confirmed", rules=("velocity", "amount"))
    case(TODAY - TICK, status="false_positive", rules=("velocity",))
    case(FIRST_WEEK, status="false_positive", rules=("amount", "amount"))
    case(NOW, status="new")
    period = {"since": FIRST_WEEK, "until": TODAY + timedelta(weeks=1)}
    with connection.cursor() as cursor:
        cursor.execute(RULE_WEEK_DECISIONS, period)
        in_sql = Counter(cursor.fetchall())
    assert len(in_sql) == 4
    assert Counter(_rule_week_decisions_portable(**period)) == in_sql


# Time to decision


def test_a_case_decided_two_hours_after_it_arrived_counts_two_hours():
    """A case decided two hours after it arrived counts two hours, on the
    day of its decision."""
    decided(waited=timedelta(hours=2))
    trend = time_to_decision_per_day(now=NOW)
    today = by_date(trend["days"])["2026-05-04"]
    assert today == {
        "date": "2026-05-04",
        "t": TODAY.timestamp(),
        "decided": 1,
        "median_hours": 2.0,
        "p90_hours": 2.0,
    }
    assert trend["decided"] == 1


def test_the_median_and_90th_percentile_interpolate():
    """Waits of 1, 2, 3 and 4 hours on a day: a median of 2.5 hours and a
    90th percentile of 3.7 (between the two nearest, as percentile_cont);
    a false positive is a decision as much as a confirmation."""
    for hours in (4, 1, 3):
        decided(waited=timedelta(hours=hours))
    decided(waited=timedelta(hours=2), to_status="false_positive")
    today = by_date(time_to_decision_per_day(now=NOW)["days"])["2026-05-04"]
    assert today["decided"] == 4
    assert today["median_hours"] == pytest.approx(2.5)
    assert today["p90_hours"] == pytest.approx(3.7)


def test_a_reopened_case_counts_once_at_its_first_decision():
    """Confirmed, reopened and dismissed two days later: one decision, on
    the first day, after the first wait."""
    row = decided(waited=timedelta(hours=1), at=NOW - timedelta(days=2))
    decision(
        row, at=NOW - timedelta(days=1), from_status="confirmed", to_status="in_review"
    )
    decision(row, at=NOW, from_status="in_review", to_status="false_positive")
    trend = time_to_decision_per_day(now=NOW)
    assert nonzero(trend["days"], "decided") == {"2026-05-02": 1}
    assert by_date(trend["days"])["2026-05-02"]["median_hours"] == 1.0


def test_a_case_first_decided_before_the_period_is_not_counted():
    """Decided a microsecond before the first day, reopened and decided
    again inside it: its first decision is outside, so it is not counted;
    one decided at the first day's midnight is."""
    row = decided(waited=timedelta(hours=1), at=FIRST_DAY - TICK)
    decision(
        row, at=NOW - timedelta(hours=2), from_status="confirmed", to_status="in_review"
    )
    decision(row, at=NOW, from_status="in_review", to_status="confirmed")
    decided(waited=timedelta(hours=3), at=FIRST_DAY)
    trend = time_to_decision_per_day(now=NOW)
    assert nonzero(trend["days"], "decided") == {"2026-04-05": 1}


def test_assigning_or_noting_a_decided_case_is_no_decision():
    """Assigning a case writes an event to the status it already has; a
    case decided outside the trail and assigned today is not counted."""
    row = case(NOW - timedelta(hours=5), status="confirmed")
    decision(row, at=NOW, from_status="confirmed", to_status="confirmed")
    assert time_to_decision_per_day(now=NOW)["decided"] == 0


def test_the_portable_times_match_postgresql():
    """Without ``percentile_cont`` the same days, counts and percentiles
    come from Python; here both run on the same events and must agree."""
    for hours in (1, 2, 7, 30):
        decided(waited=timedelta(hours=hours))
    decided(waited=timedelta(minutes=90), at=NOW - timedelta(days=3))
    row = decided(waited=timedelta(hours=1), at=FIRST_DAY - TICK)
    decision(row, at=NOW, from_status="in_review", to_status="confirmed")
    period = {"since": FIRST_DAY, "until": TODAY + timedelta(days=1)}
    with connection.cursor() as cursor:
        cursor.execute(FIRST_DECISIONS, period)
        in_sql = sorted(cursor.fetchall())
    in_python = sorted(_first_decisions_portable(**period))
    assert [row[:2] for row in in_python] == [row[:2] for row in in_sql]
    assert [row[2:] for row in in_python] == [pytest.approx(row[2:]) for row in in_sql]
    assert len(in_sql) == 2


# Open cases by age


def test_open_cases_fall_in_the_bucket_of_their_age():
    """A bucket holds the ages from its lowest, included, to its next
    (a case exactly an hour old is in 1–4 h, exactly 7 days in > 7 d); a
    case received after now (clocks apart) is under an hour; decided cases
    and legit payments are not open."""
    ages = {
        "< 1 h": [timedelta(0), timedelta(minutes=59), -timedelta(minutes=5)],
        "1–4 h": [timedelta(hours=1), timedelta(hours=4) - TICK],
        "4–24 h": [timedelta(hours=4), timedelta(hours=23)],
        "1–3 d": [timedelta(days=1), timedelta(days=2)],
        "3–7 d": [timedelta(days=3), timedelta(days=7) - TICK],
        "> 7 d": [timedelta(days=7), timedelta(days=400)],
    }
    for n, age in enumerate(chain(*ages.values())):
        case(NOW - age, status=("new", "in_review", "escalated")[n % 3])
    case(NOW, status="confirmed")
    case(NOW, status="false_positive")
    case(NOW, outcome="legit", status="", rules=())
    trend = open_cases_by_age(now=NOW)
    assert trend["buckets"] == [
        {"label": label, "count": len(spans)} for label, spans in ages.items()
    ]
    assert trend["open"] == 13


# Without data


def test_without_data_every_period_is_there_empty():
    """No cases: each of the 30 days at zero and without times, the 12
    weeks without a rule, the six age buckets at zero; an open case alone
    gives no precision line."""
    flagged = flagged_per_day(now=NOW)
    assert [(d["flagged"], d["confirmed"]) for d in flagged["days"]] == [(0, 0)] * 30
    waits = time_to_decision_per_day(now=NOW)["days"]
    assert [(d["decided"], d["median_hours"], d["p90_hours"]) for d in waits] == [
        (0, None, None)
    ] * 30
    ages = open_cases_by_age(now=NOW)
    assert ([b["count"] for b in ages["buckets"]], ages["open"]) == ([0] * 6, 0)
    case(NOW, status="new")
    precision = rule_precision_per_week(now=NOW)
    assert (precision["rules"], len(precision["weeks"])) == ([], 12)


# A query each, whatever the data


def some_review_history(size: int, *, now=NOW) -> None:
    """``size`` cases spread over the periods, every other one decided."""
    for n in range(size):
        at = now - timedelta(days=n % 40, hours=n % 7)
        if n % 2:
            decided(waited=timedelta(hours=n % 9 + 1), at=at)
        else:
            case(at, status="new", rules=(f"rule-{n % 5}", "velocity"))


@pytest.mark.parametrize("size", [1, 60])
@pytest.mark.parametrize(
    ("selector", "queries"),
    [
        (flagged_per_day, 1),
        (rule_precision_per_week, 1),
        (time_to_decision_per_day, 1),
        (open_cases_by_age, 1),
        (review_trends, 4),
    ],
)
def test_each_trend_costs_the_same_queries_for_more_data(
    django_assert_max_num_queries, size, selector, queries
):
    """A query each for one case or sixty: grouped in SQL, never a query
    per day, rule or case."""
    some_review_history(size)
    with django_assert_max_num_queries(queries):
        selector(now=NOW)


# The page


def test_anonymous_users_are_sent_to_log_in(client):
    """The page is for staff only: anyone else logs in first."""
    assert "/login/" in client.get(STATS)["Location"]


def test_staff_without_the_view_permissions_are_refused(client, django_user_model):
    """Staff who may neither view transactions nor rules see nothing of the
    trends."""
    user = django_user_model.objects.create_user("dan", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_deadletter"))
    client.force_login(user)
    assert client.get(STATS).status_code == 403


def test_the_page_costs_the_same_queries_for_more_data(
    admin_client, django_assert_max_num_queries
):
    """Sixty more cases, over more days and rules, cost the page no more
    queries than one."""
    some_review_history(1, now=timezone.now())
    with CaptureQueriesContext(connection) as captured:
        assert admin_client.get(STATS).status_code == 200
    some_review_history(60, now=timezone.now())
    with django_assert_max_num_queries(len(captured)):
        assert admin_client.get(STATS).status_code == 200


def test_the_page_embeds_the_trends_and_keeps_a_rule_name_as_text(admin_client):
    """Each trend is embedded for ``stats.js`` and listed in a table, each
    chart an image with a label; a rule name from the stream holding markup
    is escaped in the JSON (no ``</script>`` ends the element early) and in
    the table, and reads back as the same text."""
    row = decided(waited=timedelta(hours=2), at=timezone.now())
    row.reasons = [{"rule": PAYLOAD}]
    row.save(update_fields=["reasons"])
    html = admin_client.get(STATS).content.decode()
    for chart in ("flagged", "precision", "decision", "open-age"):
        assert f'id="chart-{chart}" class="chart" role="img" aria-label="' in html
    for table in ("flagged-per-day", "precision-per-week", "decision-per-day"):
        assert f'<table id="{table}">' in html
    assert '<tr><th scope="row">&lt; 1 h</th><td>0</td></tr>' in html
    assert PAYLOAD not in html and "<img src=x" not in html
    assert "\\u003C/script\\u003E\\u003Cimg src=x onerror=alert(1)\\u003E" in html
    embedded = re.search(r'<script id="trends-data" [^>]*>(.*?)</script>', html)
    trends = json.loads(embedded.group(1))
    assert trends["decision"]["decided"] == 1
    assert [line["rule"] for line in trends["precision"]["rules"]] == [PAYLOAD]
    table = re.search(r'<table id="precision-per-week">.*?</table>', html, re.S)
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in table.group(0)
    assert PAYLOAD in unescape(table.group(0))
