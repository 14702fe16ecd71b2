"""Rule fires of legit days counted once a day is closed: the statistics
read the counts instead of the rows and still agree with a count of every
row, after late rows, retention and a count that had to wait."""

import threading
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.db import transaction as db_transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.ingest.test_rows import row
from transactions_app.ingest import partitions
from transactions_app.ingest.retention import transactions_purge_legit
from transactions_app.ingest.rows import insert_ignoring_existing
from transactions_app.models import RuleFiresDay, Transaction
from transactions_app.rules import fires
from transactions_app.rules.fires import rule_fires_count_closed_days
from transactions_app.rules.quality import RULE_STATUS_COUNTS, rule_review_stats

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions"),
]

TODAY = timezone.now().date()


def day(days_ago: int):
    return TODAY - timedelta(days=days_ago)


def at(days_ago: int) -> datetime:
    return datetime.combine(day(days_ago), time(12), tzinfo=UTC)


def reasons(*rules: str) -> str:
    return (
        "["
        + ", ".join(
            f'{{"rule": "{rule}", "version": 1, "score": 20}}' for rule in rules
        )
        + "]"
    )


def written(days_ago: int, *rules: str, outcome="legit", status="") -> uuid.UUID:
    """One transaction stored by the detector's writer, ``days_ago`` days
    old, that ``rules`` fired on."""
    transaction_id = uuid.uuid4()
    with db_transaction.atomic():
        insert_ignoring_existing(
            [
                row(
                    transaction_id=transaction_id,
                    timestamp=at(days_ago),
                    received_at=at(days_ago),
                    outcome=outcome,
                    reasons=reasons(*rules) if rules else "[]",
                    review_status=status,
                )
            ]
        )
    return transaction_id


def every_row_counted() -> dict:
    """Each rule's fires and review statuses, from every stored row."""
    with connection.cursor() as cursor:
        cursor.execute(RULE_STATUS_COUNTS)
        counts = {}
        for rule, status, n in cursor.fetchall():
            counts.setdefault(rule, {})[status] = n
    return counts


def as_stats() -> dict:
    """Each rule's row of the statistics, for the rules that fired."""
    return {
        row["rule"]: row
        for row in rule_review_stats()
        if row["fired"] or row["rule"] in ("velocity", "new_receiver")
    }


def assert_stats_agree_with_every_row():
    counts = every_row_counted()
    stats = as_stats()
    assert set(counts) <= set(stats)
    for rule, statuses in counts.items():
        assert stats[rule]["fired"] == sum(statuses.values()), rule
        assert stats[rule]["confirmed"] == statuses.get("confirmed", 0), rule
        assert stats[rule]["open"] == statuses.get("new", 0), rule


@pytest.fixture
def week():
    """Partitions from six days ago, and fires on most days: legit rows
    with and without reasons, and flagged cases."""
    with connection.cursor() as cursor:
        partitions.ensure_partitions(cursor, first=day(6), last=TODAY)
    for days_ago in (5, 4, 3, 1, 0):
        written(days_ago, "velocity")
        written(days_ago, "velocity", "new_receiver", "velocity")
        written(days_ago)
    written(4, "velocity", outcome="fraud", status="confirmed")
    written(3, "new_receiver", outcome="review", status="new")


def test_closed_days_are_counted_once(week):
    counted = rule_fires_count_closed_days(today=TODAY)

    assert max(counted) == day(2)  # yesterday's and today's are open
    assert [d for d in counted if d >= day(6)] == [day(n) for n in range(6, 1, -1)]
    fired = dict(RuleFiresDay.objects.values_list("day", "fired"))
    assert fired[day(4)] == {"velocity": 2, "new_receiver": 1}  # legit rows only
    assert fired[day(6)] == fired[day(2)] == {}
    assert rule_fires_count_closed_days(today=TODAY) == []


def test_the_statistics_read_the_counts_and_agree_with_every_row(week):
    assert_stats_agree_with_every_row()
    rule_fires_count_closed_days(today=TODAY)

    with CaptureQueriesContext(connection) as queries:
        assert_stats_agree_with_every_row()

    legit = [q["sql"] for q in queries if "t.outcome = 'legit'" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + legit[0])
        plan = "\n".join(line for (line,) in cursor.fetchall())
    for days_ago in (6, 5, 4, 3, 2):
        assert partitions.LEGIT.partition(day(days_ago)) not in plan
    for days_ago in (1, 0):
        assert partitions.LEGIT.partition(day(days_ago)) in plan


def test_a_late_legit_row_drops_its_days_count_until_counted_again(week):
    rule_fires_count_closed_days(today=TODAY)

    written(4, "velocity")

    assert not RuleFiresDay.objects.filter(day=day(4)).exists()
    assert_stats_agree_with_every_row()
    assert rule_fires_count_closed_days(today=TODAY) == [day(4)]
    assert RuleFiresDay.objects.get(day=day(4)).fired["velocity"] == 3
    assert_stats_agree_with_every_row()


def test_late_rows_that_fire_nothing_or_are_flagged_keep_the_count(week):
    rule_fires_count_closed_days(today=TODAY)

    written(4)
    written(4, "velocity", outcome="fraud", status="new")
    written(3, "velocity", outcome="review", status="new")

    assert RuleFiresDay.objects.filter(day__in=[day(4), day(3)]).count() == 2
    assert_stats_agree_with_every_row()


def test_a_redelivered_row_is_not_stored_and_keeps_the_count(week):
    transaction_id = written(4, "velocity")
    rule_fires_count_closed_days(today=TODAY)

    with db_transaction.atomic():
        insert_ignoring_existing(
            [
                row(
                    transaction_id=transaction_id,
                    timestamp=at(4),
                    received_at=at(4),
                    reasons=reasons("velocity"),
                )
            ]
        )

    assert RuleFiresDay.objects.filter(day=day(4)).exists()
    assert_stats_agree_with_every_row()


def test_retention_drops_a_days_count_with_its_partition(week):
    rule_fires_count_closed_days(today=TODAY)

    transactions_purge_legit(older_than=partitions.midnight(day(3)))

    assert sorted(RuleFiresDay.objects.values_list("day", flat=True)) == [
        day(3),
        day(2),
    ]
    assert_stats_agree_with_every_row()


@pytest.mark.django_db(transaction=True)
def test_a_day_its_writers_hold_is_counted_on_the_next_run(monkeypatch):
    """A writer's transaction storing a late row into a closed day holds
    the partition: the count gives up waiting and leaves the day to the
    next run, which sees the row once it is committed."""
    monkeypatch.setattr(fires, "COUNT_LOCK_TIMEOUT", "200ms")
    with connection.cursor() as cursor:
        partitions.ensure_partitions(cursor, first=day(3), last=TODAY)
    written(3, "velocity")
    inserted, release = threading.Event(), threading.Event()

    def late_writer():
        try:
            with db_transaction.atomic():
                insert_ignoring_existing(
                    [
                        row(
                            timestamp=at(3),
                            received_at=at(3),
                            reasons=reasons("velocity"),
                        )
                    ]
                )
                inserted.set()
                release.wait(60)
        finally:
            connection.close()

    writer = threading.Thread(target=late_writer)
    writer.start()
    try:
        assert inserted.wait(60)
        first_run = rule_fires_count_closed_days(today=TODAY)
        assert day(2) in first_run and day(3) not in first_run
    finally:
        release.set()
        writer.join(60)

    assert rule_fires_count_closed_days(today=TODAY) == [day(3)]
    assert RuleFiresDay.objects.get(day=day(3)).fired == {"velocity": 2}
    assert Transaction.objects.filter(timestamp__date=day(3)).count() == 2


def test_the_periodic_task_counts_and_logs_the_closed_days(week, caplog):
    from transactions_app.tasks import count_rule_fires

    assert count_rule_fires.apply().get() >= 5
    assert f"{day(4).isoformat()}" in caplog.text
    assert count_rule_fires.apply().get() == 0
