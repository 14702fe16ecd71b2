"""How many legit transactions each rule fired on, counted once per closed
day instead of on every look.

The rules' statistics give each rule's fires over every stored
transaction (``quality.rule_review_stats``). The flagged ones are few and
change (analysts decide them), so they are counted when asked; the legit
ones are nearly all of the table, and a day's stop changing once the day
has passed. So each day's legit partition is counted once it is closed,
``CLOSED_AFTER_DAYS`` after it began (``rule_fires_count_closed_days``, a
periodic task), and a look reads those counts plus the legit rows no count
covers: today's and yesterday's, rows outside day partitions, and days
whose count was dropped.

A count stays exact: counting a day locks its partition against inserts
(``SHARE``), and a writer that stores a legit row of a day before today
deletes that day's count after the insert, in its transaction
(``ingest.rows``): whichever of the two comes second sees the other's
work. Retention deletes a day's count with its partition. On a table
without partitions (SQLite) nothing is counted ahead and every look reads
every row.
"""

from collections import Counter
from datetime import date, timedelta

from django.db import DatabaseError, connection
from django.db import transaction as db_transaction
from django.utils import timezone

from ..ingest import partitions
from ..ingest.selectors import transactions_partitioned
from ..models import RuleFiresDay

# Two days, not one: a day is closed a full day after it ended, so late
# events and a writer's clock a little behind the task's still find it
# open, and its count is never made and dropped at once.
CLOSED_AFTER_DAYS = 2
# How long counting a day waits for its partition's writers before it
# leaves the day to the next run.
COUNT_LOCK_TIMEOUT = "5s"

# Each rule once per transaction (DISTINCT inside the lateral join), as
# quality.RULE_STATUS_COUNTS, over one partition.
FIRES_IN_PARTITION = """
SELECT fired.rule, count(*)
FROM {partition} t
CROSS JOIN LATERAL (
    SELECT DISTINCT reason ->> 'rule' AS rule
    FROM jsonb_array_elements(t.reasons) AS reason
) AS fired
WHERE t.reasons <> '[]'::jsonb
GROUP BY 1
"""


def rule_fires_count_closed_days(*, today: date) -> list[date]:
    """Count the rule fires of every legit day partition that is closed
    (it began ``CLOSED_AFTER_DAYS`` or more before ``today``) and has no
    count yet, each day in a short transaction of its own; returns the
    days counted. A day whose writers hold its partition longer than
    ``COUNT_LOCK_TIMEOUT``, or that retention dropped meanwhile, is left
    for the next run."""
    if not transactions_partitioned():
        return []
    with connection.cursor() as cursor:
        starts = partitions.partition_starts(cursor, partitions.LEGIT)
    counted = set(RuleFiresDay.objects.values_list("day", flat=True))
    closing = today - timedelta(days=CLOSED_AFTER_DAYS)
    due = [day for day in starts if day <= closing and day not in counted]
    return [day for day in due if _count_day(day)]


def _count_day(day: date) -> bool:
    partition = partitions.LEGIT.partition(day)
    try:
        with db_transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{COUNT_LOCK_TIMEOUT}'")
            cursor.execute(f"LOCK TABLE {partition} IN SHARE MODE")
            cursor.execute(FIRES_IN_PARTITION.format(partition=partition))
            fired = dict(cursor.fetchall())
            RuleFiresDay.objects.update_or_create(
                day=day, defaults={"fired": fired, "counted_at": timezone.now()}
            )
    except DatabaseError:  # the lock not granted in time, or no partition
        return False
    return True


def legit_fires_counted() -> tuple[Counter, list[date]]:
    """The legit transactions each rule fired on over the counted days,
    and those days, oldest first."""
    fires, days = Counter(), []
    for day, fired in RuleFiresDay.objects.values_list("day", "fired"):
        fires.update(fired)
        days.append(day)
    return fires, days


def uncounted_ranges(days: list[date]) -> list[tuple]:
    """The event-time ranges ``(since, until)`` that the counted ``days``
    (sorted) leave out, as midnights UTC; None is open-ended. Runs of
    consecutive days are one gap each, so the ranges are few."""
    ranges, since = [], None
    for day in days:
        start = partitions.midnight(day)
        if since is None or start > since:
            ranges.append((since, start))
        since = partitions.midnight(day + timedelta(days=1))
    ranges.append((since, None))
    return ranges


def in_ranges_sql(ranges: list[tuple], column: str) -> tuple[str, list]:
    """A condition on ``column`` that holds within any of ``ranges``, as
    constants the planner prunes partitions with, and its parameters."""
    conditions, params = [], []
    for since, until in ranges:
        parts = []
        if since is not None:
            parts.append(f"{column} >= %s")
            params.append(since)
        if until is not None:
            parts.append(f"{column} < %s")
            params.append(until)
        conditions.append(" AND ".join(parts) or "TRUE")
    return " OR ".join(f"({condition})" for condition in conditions), params
