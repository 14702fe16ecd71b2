"""The periodic tasks on a large table, in PostgreSQL.

Run with ``python -m benchmarks.retention``. It loads N old legit
transactions (default 1,000,000) plus old flagged ones that must stay,
then times (a) the retention purge twice on the same rows: with the days
partitioned (each day's partition dropped whole, with the longest drop:
how long the branch is locked) and with the rows in the default partition,
no day partitioned (batches of 5,000 rows deleted one by one, with the
longest single ``DELETE``: how long one batch holds its row locks), and
(b) the SLA escalation of M overdue cases (default 10,000), each with its
audit entry. It uses a database of its own (``<name>_bench``).
"""

import argparse
import statistics
import time
from datetime import timedelta

from benchmarks.pipeline import setup_django

# The project's modules are imported inside the functions: Django has to
# be set up first, against the benchmark's own database (``setup_django``).

LOAD_SQL = """
INSERT INTO transactions_app_transaction (
    transaction_id, source, target, amount, currency, timestamp, received_at,
    outcome, score, reasons, rule_versions, review_status, kafka_topic,
    kafka_partition, kafka_offset, review_version, merchant_category, channel,
    country, device_id)
SELECT gen_random_uuid(), 'src' || (n %% 50000), 'dst' || (n %% 70000),
    (n %% 90000) / 100.0 + 1, 'EUR', %(at)s - n * interval '1 second',
    %(at)s, %(outcome)s, 0, '[]', '{}', %(status)s, 'bench', 0, n, 0,
    '', '', '', ''
FROM generate_series(1, %(count)s) AS n
"""


def load(*, count: int, outcome: str, status: str, age_days: float) -> None:
    from django.db import connection
    from django.utils import timezone

    at = timezone.now() - timedelta(days=age_days)
    with connection.cursor() as cursor:
        cursor.execute(
            LOAD_SQL,
            {"at": at, "outcome": outcome, "status": status, "count": count},
        )


def empty_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE transactions_app_transaction CASCADE")


def analyze() -> None:
    """Fresh planner statistics, as autovacuum would have them on a table
    that grew over months."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def make_partitions(age_days: float, span_days: int) -> None:
    """The day partitions of the rows ``load`` writes (they go back
    ``span_days`` from ``age_days`` ago)."""
    from django.db import connection
    from django.utils import timezone

    from transactions_app.ingest import partitions

    newest = (timezone.now() - timedelta(days=age_days)).date()
    with connection.cursor() as cursor:
        partitions.ensure_partitions(
            cursor, first=newest - timedelta(days=span_days), last=newest
        )


def timed_purge():
    """Purge; return what it did, the total time and each DELETE's or
    DROP's time."""
    from django.db import connection
    from django.utils import timezone

    from transactions_app.ingest.retention import transactions_purge_legit

    statements = []

    def timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if sql.startswith(("DELETE", "ALTER TABLE", "DROP")):
                statements.append(time.perf_counter() - started)

    cutoff = timezone.now() - timedelta(days=90)
    started = time.perf_counter()
    with connection.execute_wrapper(timer):
        purge = transactions_purge_legit(older_than=cutoff)
    return purge, time.perf_counter() - started, statements


def report(label: str, count: int, purge, total: float, statements) -> None:
    print(
        f"retention purge, {label}, {count:,} old legit rows: {total:.2f} s "
        f"({count / total:,.0f} rows/s), {len(purge.dropped)} partitions "
        f"dropped, {purge.deleted:,} rows deleted one by one; "
        f"{len(statements)} statements, longest {max(statements) * 1000:.0f} ms, "
        f"median {statistics.median(statements) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    setup_django()
    from django.utils import timezone

    from transactions_app.models import Transaction
    from transactions_app.review.services import transactions_escalate_overdue

    span_days = args.count // 86_400 + 1  # load writes one row a second
    for partitioned in (True, False):
        empty_tables()
        if partitioned:
            make_partitions(100, span_days)
        load(count=args.count, outcome="legit", status="", age_days=100)
        load(count=args.cases, outcome="fraud", status="new", age_days=100)
        analyze()
        purge, total, statements = timed_purge()
        label = "days partitioned" if partitioned else "rows outside partitions"
        report(label, args.count, purge, total, statements)
        assert not Transaction.objects.filter(outcome="legit").exists()
    started = time.perf_counter()
    escalated = transactions_escalate_overdue(
        opened_before=timezone.now() - timedelta(hours=24), note="SLA exceeded"
    )
    took = time.perf_counter() - started
    print(
        f"SLA escalation of {escalated:,} cases: {took:.1f} s "
        f"({escalated / took:,.0f} cases/s)"
    )
    assert Transaction.objects.filter(outcome="fraud").count() == args.cases


if __name__ == "__main__":
    main()
