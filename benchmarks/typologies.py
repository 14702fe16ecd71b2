"""The typology scan: how well it finds the generator's laundering, and how
long it takes on 10,000,000 stored payments over 30 days.

Run with ``make bench`` (or ``python -m benchmarks.typologies``). It creates
a database of its own (``<name>_typology_bench``) and migrates it. First the
quality: ``--quality-days`` (42) of the realistic profile's traffic for
3,000 people with its fraud scenarios and 2 % laundering, stored and scanned
(``typologies.evaluation``): recall over the episodes that had time to
finish, precision over the findings. Then the speed: it empties the table
and loads N payments (default 10,000,000) with one ``INSERT … SELECT`` over
``generate_series``, shaped like people's traffic: a population sized to pay
twice a day each (166,667 people for 10,000,000 over 30 days) paying half
the time one of their three shops, 40 % one of their four friends and 10 %
anyone, amounts by each person's habit; no laundering. It then runs the scan
over the 30 days (``typologies_scan``: the SQL and the recording of
findings) and prints how long it took, its rate and what it found (on this
traffic every finding is a false alarm). The database is dropped at the end
(``--keep`` keeps it).
"""

import argparse
import time
from datetime import UTC, datetime, timedelta

from benchmarks.admin_changelist import drop_database, setup_django

DAYS = 30
START = datetime(2026, 1, 1, tzinfo=UTC)
LOAD_SQL = """
INSERT INTO transactions_app_transaction (
    transaction_id, source, target, amount, currency, timestamp, received_at,
    outcome, score, reasons, rule_versions, kafka_topic, kafka_partition,
    kafka_offset, review_status, review_version,
    merchant_category, channel, country, device_id)
SELECT
    md5('typology' || i)::uuid,
    'p' || payer,
    CASE WHEN kind < 50 THEN 'shop' || abs(hashint8(payer * 3 + kind %% 3)) %% %(shops)s
         WHEN kind < 90 THEN 'p' || abs(hashint8(payer * 4 + kind %% 4)) %% %(people)s
         ELSE 'p' || abs(hashint8(i * 5 + 2)) %% %(people)s END,
    round(exp(2.5 + (abs(hashint8(payer * 11)) %% 1000) / 500.0
              + (abs(hashint8(i * 7 + 3)) %% 1000) / 1000.0 - 0.5)::numeric, 2),
    'EUR', at, at, 'legit', 0, '[]'::jsonb, '{}'::jsonb, 'bench', i %% 3, i,
    '', 0, '', '', '', ''
FROM generate_series(1::bigint, %(rows)s) AS i,
LATERAL (SELECT abs(hashint8(i)) %% %(people)s AS payer,
                abs(hashint8(i * 3 + 1)) %% 100 AS kind,
                %(start)s + i * %(step)s * interval '1 second' AS at) AS row
"""


def load(rows: int) -> float:
    from django.db import connection

    from transactions_app.ingest import partitions

    people = round(rows / DAYS / 2)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # The days' partitions, as retention's task would have made them.
        partitions.ensure_partitions(
            cursor, first=START.date(), last=(START + timedelta(days=DAYS)).date()
        )
        cursor.execute(
            LOAD_SQL,
            {
                "rows": rows,
                "people": people,
                "shops": max(8, people // 50),
                "start": START,
                "step": DAYS * 86400 / rows,
            },
        )
        cursor.execute("ANALYZE transactions_app_transaction")
    return time.perf_counter() - started


def scan() -> tuple[float, object]:
    from transactions_app.typologies.services import typologies_scan

    started = time.perf_counter()
    result = typologies_scan(since=START, until=START + timedelta(days=DAYS + 1))
    return time.perf_counter() - started, result


def quality(days: int) -> None:
    from transactions_app.models import Transaction
    from transactions_app.typologies.evaluation import evaluate_generated

    started = time.perf_counter()
    result = evaluate_generated(seed=42, start=START, days=days, accounts=3000)
    print(
        f"generated laundering, {days} days of 3,000 people "
        f"({result.stored:,} payments): {result.episodes} settled episodes, "
        f"{result.found} found (recall {result.recall:.3f}); {result.findings} "
        f"findings, {result.right} right (precision {result.precision:.3f}); "
        f"missed by scenario {result.missed_by_scenario or 'none'} "
        f"({time.perf_counter() - started:.0f} s)"
    )
    Transaction.objects.all().delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--quality-days", type=int, default=42)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    url = setup_django("typology_bench")
    try:
        if args.quality_days:
            quality(args.quality_days)
        if not args.rows:
            return
        seconds = load(args.rows)
        print(f"loaded {args.rows:,} payments over {DAYS} days in {seconds:.1f} s")
        seconds, result = scan()
        print(
            f"typology scan of {args.rows:,} payments over {DAYS} days: "
            f"{seconds:.1f} s ({args.rows / seconds:,.0f} payments/s), "
            f"{result.created} findings (false alarms: no laundering loaded)"
        )
    finally:
        if not args.keep:
            drop_database(url)


if __name__ == "__main__":
    main()
