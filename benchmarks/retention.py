"""The periodic tasks on a large table, in PostgreSQL.

Run with ``python -m benchmarks.retention``. It loads N old legit
transactions (default 1,000,000) plus old flagged ones that must stay,
then times (a) the retention purge, in its batches of 5,000 rows, with the
longest single ``DELETE`` (how long one batch holds its row locks), and
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
    kafka_partition, kafka_offset, review_version)
SELECT gen_random_uuid(), 'src' || (n %% 50000), 'dst' || (n %% 70000),
    (n %% 90000) / 100.0 + 1, 'EUR', %(at)s - n * interval '1 second',
    %(at)s, %(outcome)s, 0, '[]', '{}', %(status)s, 'bench', 0, n, 0
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


def timed_purge() -> tuple[int, float, list[float]]:
    """Purge; return rows deleted, the total time and each DELETE's time."""
    from django.db import connection
    from django.utils import timezone

    from transactions_app.ingest.services import transactions_purge_legit

    deletes = []

    def timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if sql.startswith("DELETE"):
                deletes.append(time.perf_counter() - started)

    cutoff = timezone.now() - timedelta(days=90)
    started = time.perf_counter()
    with connection.execute_wrapper(timer):
        deleted = transactions_purge_legit(older_than=cutoff)
    return deleted, time.perf_counter() - started, deletes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    setup_django()
    from django.utils import timezone

    from transactions_app.models import Transaction
    from transactions_app.review.services import transactions_escalate_overdue

    empty_tables()
    load(count=args.count, outcome="legit", status="", age_days=100)
    load(count=args.cases, outcome="fraud", status="new", age_days=100)
    analyze()

    deleted, total, deletes = timed_purge()
    print(
        f"retention purge, {deleted:,} of {args.count:,} old legit rows: "
        f"{total:.1f} s ({deleted / total:,.0f} rows/s), {len(deletes)} "
        f"DELETEs, longest {max(deletes) * 1000:.0f} ms, "
        f"median {statistics.median(deletes) * 1000:.0f} ms"
    )
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
