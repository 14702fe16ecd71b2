"""The review statistics page's trends: flagged and confirmed payments per
day, each rule's precision per week, how long a case waits for its first
decision, and the open cases by age. Each is one query whatever the data,
with a bounded result (a point per day or week, a line per rule, a bar per
age); days and weeks are UTC's (Monday to Sunday), as ``TIME_ZONE``.
(Precision over all time: ``rules.quality``.)"""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import TruncDate

from ..models import ReviewEvent, ReviewStatus, Transaction
from ..rules.quality import precision
from .selectors import OPEN_REVIEW_STATUSES

TREND_DAYS = 30
PRECISION_WEEKS = 12
# Lines beyond a dozen or two are unreadable; the rules with the most
# decided cases are kept.
PRECISION_RULES_SHOWN = 20
DECIDED_STATUSES = (ReviewStatus.CONFIRMED, ReviewStatus.FALSE_POSITIVE)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# (label, lowest age, age it stays under): each includes its lowest age,
# so a case exactly an hour old is in "1–4 h"; the last has no end.
OPEN_AGE_BUCKETS = (
    ("< 1 h", None, HOUR),
    ("1–4 h", HOUR, 4 * HOUR),
    ("4–24 h", 4 * HOUR, DAY),
    ("1–3 d", DAY, 3 * DAY),
    ("3–7 d", 3 * DAY, 7 * DAY),
    ("> 7 d", 7 * DAY, None),
)


def review_trends(*, now: datetime) -> dict:
    """The four trends of the statistics page up to ``now``, as one value
    the page embeds (``json_script``) for its charts and tables: four
    queries."""
    return {
        "flagged": flagged_per_day(now=now),
        "precision": rule_precision_per_week(now=now),
        "decision": time_to_decision_per_day(now=now),
        "open_age": open_cases_by_age(now=now),
    }


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _period(*, first: date, count: int, step: int = 1) -> list[dict]:
    """``count`` days ``step`` days apart from ``first``, each as its ISO
    date and the epoch seconds of its midnight (a chart's x axis)."""
    midnights = (_midnight(first + timedelta(days=n * step)) for n in range(count))
    return [{"date": m.date().isoformat(), "t": m.timestamp()} for m in midnights]


def _days_up_to(*, now: datetime, days: int) -> tuple[date, datetime, datetime]:
    """The first of the ``days`` days ending with ``now``'s (today
    included), and the midnights starting it and ending today: a row
    counts from the first instant of the first day to the last of today,
    so a row exactly ``days`` days old (on the day before) does not."""
    first = now.astimezone(UTC).date() - timedelta(days=days - 1)
    return first, _midnight(first), _midnight(first + timedelta(days=days))


def flagged_per_day(*, now: datetime, days: int = TREND_DAYS) -> dict:
    """Per day of the ``days`` up to ``now``'s: the payments flagged (review
    or fraud outcome, by their event time) and, of those, the ones analysts
    confirmed as fraud; a day without any is zeros. One query, grouped by
    day in SQL, over the (outcome, timestamp) index (the planner takes the
    timestamp index instead when flagged payments are a large share)."""
    first, since, until = _days_up_to(now=now, days=days)
    rows = (
        Transaction.objects.filter(
            outcome__in=Transaction.FLAGGED_OUTCOMES,
            timestamp__gte=since,
            timestamp__lt=until,
        )
        .annotate(day=TruncDate("timestamp", tzinfo=UTC))
        .values("day")
        .annotate(
            flagged=Count("id"),
            confirmed=Count("id", filter=Q(review_status=ReviewStatus.CONFIRMED)),
        )
        .order_by()
    )
    counted = {row["day"].isoformat(): row for row in rows}
    points = [
        {**point, **_flagged_counts(counted.get(point["date"]))}
        for point in _period(first=first, count=days)
    ]
    return {
        "days": points,
        "flagged": sum(point["flagged"] for point in points),
        "confirmed": sum(point["confirmed"] for point in points),
    }


def _flagged_counts(row: dict | None) -> dict:
    if row is None:
        return {"flagged": 0, "confirmed": 0}
    return {"flagged": row["flagged"], "confirmed": row["confirmed"]}


# Each rule once per transaction (DISTINCT inside the lateral join, as
# rules.quality.RULE_STATUS_COUNTS), decided cases of the period only.
RULE_WEEK_DECISIONS = """
SELECT fired.rule,
       date_trunc('week', t."timestamp" AT TIME ZONE 'UTC')::date AS week,
       count(*) FILTER (WHERE t.review_status = 'confirmed'),
       count(*)
FROM transactions_app_transaction t
CROSS JOIN LATERAL (
    SELECT DISTINCT reason ->> 'rule' AS rule
    FROM jsonb_array_elements(t.reasons) AS reason
) AS fired
WHERE t.review_status IN ('confirmed', 'false_positive')
  AND t."timestamp" >= %(since)s AND t."timestamp" < %(until)s
  AND t.reasons <> '[]'::jsonb
GROUP BY 1, 2
"""


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def rule_precision_per_week(
    *,
    now: datetime,
    weeks: int = PRECISION_WEEKS,
    limit: int = PRECISION_RULES_SHOWN,
) -> dict:
    """Per rule, per week of the ``weeks`` up to ``now``'s (Monday to
    Sunday, by the payments' event time): of the cases it fired on that
    analysts decided, how many were confirmed, and the precision
    (confirmed / decided; None for a week without a decided case). Only
    rules with a decided case in the period, at most ``limit`` (the most
    decided), by name; ``truncated`` says there were more. One query
    (PostgreSQL: ``jsonb`` unnested in SQL; elsewhere, a pass in Python)."""
    first = _monday(now.astimezone(UTC).date()) - timedelta(weeks=weeks - 1)
    since, until = _midnight(first), _midnight(first + timedelta(weeks=weeks))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(RULE_WEEK_DECISIONS, {"since": since, "until": until})
            rows = cursor.fetchall()
    else:
        rows = _rule_week_decisions_portable(since=since, until=until)
    period = _period(first=first, count=weeks, step=7)
    return _precision_lines(rows, period=period, limit=limit)


def _rule_week_decisions_portable(*, since: datetime, until: datetime) -> list:
    """``RULE_WEEK_DECISIONS`` row by row, on databases without ``jsonb``
    (SQLite, for a quick look): (rule, week's Monday, confirmed, decided)."""
    counts = defaultdict(lambda: [0, 0])
    rows = Transaction.objects.filter(
        review_status__in=DECIDED_STATUSES, timestamp__gte=since, timestamp__lt=until
    ).values_list("reasons", "review_status", "timestamp")
    for reasons, status, timestamp in rows.iterator():
        week = _monday(timestamp.astimezone(UTC).date())
        for rule in {reason.get("rule") for reason in reasons}:
            counted = counts[(rule, week)]
            counted[0] += status == ReviewStatus.CONFIRMED
            counted[1] += 1
    return [(rule, week, *counted) for (rule, week), counted in counts.items()]


def _precision_lines(rows, *, period: list[dict], limit: int) -> dict:
    by_rule = defaultdict(dict)
    for rule, week, confirmed, decided in rows:
        if rule is not None:
            by_rule[rule][week.isoformat()] = (confirmed, decided)
    most_decided = sorted(
        by_rule, key=lambda rule: (-sum(d for _, d in by_rule[rule].values()), rule)
    )
    shown = sorted(most_decided[:limit])
    return {
        "weeks": period,
        "rules": [_precision_line(rule, by_rule[rule], period) for rule in shown],
        "truncated": len(by_rule) > limit,
    }


def _precision_line(rule: str, weeks: dict, period: list[dict]) -> dict:
    cells = []
    for week in period:
        confirmed, decided = weeks.get(week["date"], (0, 0))
        cells.append(
            {
                "confirmed": confirmed,
                "decided": decided,
                "precision": precision(
                    confirmed=confirmed, false_positives=decided - confirmed
                ),
            }
        )
    return {"rule": rule, "weeks": cells}


# A case's first decision in the period: a decision event in it (a change
# to confirmed or false positive; assigning or noting a decided case
# writes an event to the status it already has, which is none), with none
# before it (a reopened case decided again counts once, when first
# decided). Each case's arrival is a subquery by primary key, one lookup
# per decision of the period, made once (MATERIALIZED: inlined, each
# percentile would repeat it); a join was hashed over every transaction
# (350 ms against 80 ms for 6,000 decisions among 1,000,000 rows).
FIRST_DECISIONS = """
WITH first_decision AS (
    SELECT e.transaction_id, min(e.at) AS at
    FROM transactions_app_reviewevent e
    WHERE e.to_status IN ('confirmed', 'false_positive')
      AND e.from_status <> e.to_status
      AND e.at >= %(since)s AND e.at < %(until)s
      AND NOT EXISTS (
          SELECT 1 FROM transactions_app_reviewevent earlier
          WHERE earlier.transaction_id = e.transaction_id
            AND earlier.to_status IN ('confirmed', 'false_positive')
            AND earlier.from_status <> earlier.to_status
            AND earlier.at < %(since)s
      )
    GROUP BY e.transaction_id
), waited AS MATERIALIZED (
    SELECT d.at, extract(epoch FROM d.at - (
        SELECT t.received_at FROM transactions_app_transaction t
        WHERE t.id = d.transaction_id
          -- a case is flagged: the legit partitions are not looked in
          AND t.outcome IN ('review', 'fraud')
    ))::double precision / 3600 AS hours
    FROM first_decision d
)
SELECT (at AT TIME ZONE 'UTC')::date AS day,
       count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY hours),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY hours)
FROM waited
GROUP BY 1
"""


def time_to_decision_per_day(*, now: datetime, days: int = TREND_DAYS) -> dict:
    """Per day of the ``days`` up to ``now``'s: the cases first decided
    that day (their first change to confirmed or false positive) and the
    median and 90th percentile, in hours, of how long each waited from
    when the detector received it (``received_at``); None on a day without
    any. A case reopened and decided again counts once, on the day of its
    first decision: how long analysts take to reach a verdict. One query
    (PostgreSQL: ``percentile_cont``; elsewhere, the same interpolation in
    Python over the period's first decisions)."""
    first, since, until = _days_up_to(now=now, days=days)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(FIRST_DECISIONS, {"since": since, "until": until})
            rows = cursor.fetchall()
    else:
        rows = _first_decisions_portable(since=since, until=until)
    waits = {day.isoformat(): (n, median, p90) for day, n, median, p90 in rows}
    points = [
        {**point, **_waited(waits.get(point["date"]))}
        for point in _period(first=first, count=days)
    ]
    return {"days": points, "decided": sum(point["decided"] for point in points)}


def _waited(row: tuple | None) -> dict:
    decided, median, p90 = row or (0, None, None)
    return {"decided": decided, "median_hours": median, "p90_hours": p90}


def _first_decisions_portable(*, since: datetime, until: datetime) -> list:
    """``FIRST_DECISIONS`` on other databases: the same events read (one
    query), each case's first, and the percentiles in Python."""
    decisions = ReviewEvent.objects.filter(to_status__in=DECIDED_STATUSES).exclude(
        from_status=F("to_status")
    )
    earlier = decisions.filter(transaction=OuterRef("transaction"), at__lt=since)
    events = (
        decisions.filter(at__gte=since, at__lt=until)
        .filter(~Exists(earlier))
        .values_list("transaction_id", "at", "transaction__received_at")
    )
    firsts = {}
    for case, at, received_at in events.iterator():
        if case not in firsts or at < firsts[case][0]:
            firsts[case] = (at, received_at)
    by_day = defaultdict(list)
    for at, received_at in firsts.values():
        by_day[at.astimezone(UTC).date()].append((at - received_at) / HOUR)
    return [
        (day, len(hours), percentile(hours, 0.5), percentile(hours, 0.9))
        for day, hours in by_day.items()
    ]


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` percentile of ``values`` interpolated between the
    two nearest, as PostgreSQL's ``percentile_cont``."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def open_cases_by_age(*, now: datetime) -> dict:
    """The open cases (new, in review, escalated) by how long ago the
    detector received them, in ``OPEN_AGE_BUCKETS``: what waits, and for
    how long. One query (a count per bucket) over the open cases' partial
    index; a case received after ``now`` (clocks apart) is under an hour."""
    counts = Transaction.objects.filter(
        review_status__in=OPEN_REVIEW_STATUSES
    ).aggregate(
        **{
            f"bucket_{n}": Count("id", filter=_aged(now=now, low=low, high=high))
            for n, (_, low, high) in enumerate(OPEN_AGE_BUCKETS)
        }
    )
    buckets = [
        {"label": label, "count": counts[f"bucket_{n}"]}
        for n, (label, _, _) in enumerate(OPEN_AGE_BUCKETS)
    ]
    return {"buckets": buckets, "open": sum(bucket["count"] for bucket in buckets)}


def _aged(*, now: datetime, low: timedelta | None, high: timedelta | None) -> Q:
    """Received at least ``low`` and less than ``high`` before ``now``."""
    aged = Q()
    if low is not None:
        aged &= Q(received_at__lte=now - low)
    if high is not None:
        aged &= Q(received_at__gt=now - high)
    return aged
