"""The transactions changelist in admin, the case page and the money-flow
network, on 1,000,000 stored transactions.

Run with ``make bench`` (or ``python -m benchmarks.admin_changelist``). It
creates a database of its own (``<name>_admin_bench``), migrates it, loads
N transactions (default 1,000,000; ``--rows 10000000`` for the figure in
the README) with one ``INSERT … SELECT`` over ``generate_series`` (5%
flagged, with reasons, review statuses and assignees; 30 days of event
time, in their day and month partitions), and a merchant paid once by each of
``HUB_CUSTOMERS`` (100,000) accounts, then requests the changelist as a
logged-in analyst for each filter, the rule list and the review
statistics page (per-rule precision; first before the closed days' rule
fires are counted, then after), a case page, and the two-hop
network and the activity of the merchant and of an ordinary account, and
prints the median of a few runs in milliseconds, with the number of
queries and the slowest one. The database is dropped at the end
(``--keep`` keeps it for a second look).
"""

import argparse
import os
import statistics
import time
from datetime import timedelta

import django

# The project's modules are imported inside the functions: Django has to
# be set up first, against the benchmark's own database (``setup_django``).

ANALYSTS = ("ana", "ben", "cho", "dev")
ACCOUNTS = 200_000
LOAD_SQL = """
INSERT INTO transactions_app_transaction (
    transaction_id, source, target, amount, currency, timestamp, received_at,
    outcome, score, reasons, rule_versions, kafka_topic, kafka_partition,
    kafka_offset, review_status, assignee_id, review_version,
    merchant_category, channel, country, device_id)
SELECT
    md5('bench' || i)::uuid,
    'acct' || lpad((i * 7919 %% %(accounts)s)::text, 7, '0'),
    'acct' || lpad((i * 104729 %% %(accounts)s)::text, 7, '0'),
    round((1.5 ^ ((i * 31 %% 1700) / 100.0))::numeric, 2),
    'EUR',
    at, at,
    CASE WHEN NOT flagged THEN 'legit' WHEN i %% 40 = 0 THEN 'fraud'
         ELSE 'review' END,
    CASE WHEN flagged THEN 100 ELSE 0 END,
    CASE
        WHEN flagged AND case_no %% 3 = 0 THEN jsonb_build_array(
            pg_temp.reason(rules[1 + case_no %% n], i),
            pg_temp.reason(rules[1 + (case_no + 1) %% n], i))
        WHEN flagged OR i %% 100 = 7 THEN jsonb_build_array(
            pg_temp.reason(rules[1 + (case_no + i) %% n], i))
        ELSE '[]'::jsonb END,
    '{}'::jsonb, 'bench', i %% 3, i,
    CASE WHEN NOT flagged THEN ''
         WHEN case_no %% 100 < 60 THEN 'new'
         WHEN case_no %% 100 < 70 THEN 'in_review'
         WHEN case_no %% 100 < 85 THEN 'confirmed'
         WHEN case_no %% 100 < 97 THEN 'false_positive'
         ELSE 'escalated' END,
    CASE WHEN flagged AND case_no %% 100 >= 60
         THEN analysts[1 + case_no %% cardinality(analysts)] END,
    0,
    '', '', '', ''
FROM generate_series(1::bigint, %(rows)s) AS i,
LATERAL (SELECT i %% 20 = 0 AS flagged, i / 20 AS case_no,
                %(rules)s::text[] AS rules, cardinality(%(rules)s::text[]) AS n,
                %(analysts)s::bigint[] AS analysts,
                %(start)s + i * %(step)s * interval '1 second' AS at) AS row
"""
REASON_FUNCTION = """
CREATE OR REPLACE FUNCTION pg_temp.reason(rule text, i bigint) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('rule', rule, 'version', 1,
        'observed', i % 1000, 'threshold', 900, 'score', 50, 'window', 3600)
$$
"""


HUB = "merchant-hub"
HUB_CUSTOMERS = 100_000
HUB_SQL = """
INSERT INTO transactions_app_transaction (
    transaction_id, source, target, amount, currency, timestamp, received_at,
    outcome, score, reasons, rule_versions, kafka_topic, kafka_partition,
    kafka_offset, review_status, review_version,
    merchant_category, channel, country, device_id)
SELECT md5('hub' || i)::uuid, 'acct' || lpad(i::text, 7, '0'), %(hub)s,
    round((5 + i %% 200)::numeric, 2), 'EUR', at, at, 'legit', 0, '[]'::jsonb,
    '{}'::jsonb, 'bench', 0, %(rows)s + i, '', 0, '', '', '', ''
FROM generate_series(1::bigint, %(customers)s) AS i,
LATERAL (SELECT %(start)s + i * %(step)s * interval '1 second' AS at) AS row
"""


def setup_django(suffix: str = "admin_bench") -> str:
    """Point Django at the benchmark's own database, ``<name>_<suffix>``
    (created afresh and migrated); returns the URL of the server's
    maintenance database, from which it is created and dropped."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fraudsite.settings")
    url = os.environ.get("DATABASE_URL", "postgres://fraud:fraud@127.0.0.1:5432/fraud")
    base, _, name = url.rpartition("/")
    database = f"{name}_{suffix}"
    os.environ["DATABASE_URL"] = f"{base}/{database}"
    url = f"{base}/postgres"
    with admin_connection(url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}"')
        connection.execute(f'CREATE DATABASE "{database}"')
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def admin_connection(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def drop_database(url: str) -> None:
    from django.db import connections

    connections.close_all()
    name = os.environ["DATABASE_URL"].rpartition("/")[2]
    with admin_connection(url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')


def create_users():
    """The analysts cases are assigned to; the first, who browses, is also
    a rule manager (to see the rule list)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    analysts = Group.objects.get(name="Analyst")
    users = []
    for name in ANALYSTS:
        user = get_user_model().objects.create_user(name, is_staff=True)
        user.groups.add(analysts)
        users.append(user)
    users[0].groups.add(Group.objects.get(name="Rule manager"))
    return users


def load(rows: int, analyst_ids: list[int]) -> float:
    """Insert ``rows`` transactions ending now; returns the seconds taken
    (insert, then VACUUM ANALYZE as a long-running table would have had)."""
    from django.db import connection
    from django.utils import timezone

    from transactions_app.ingest import partitions
    from transactions_app.rules.quality import rule_names

    started = time.monotonic()
    span = timedelta(days=30).total_seconds()
    today = timezone.now().date()
    with connection.cursor() as cursor:
        # The partitions of the 30 days, as retention's task makes them.
        partitions.ensure_partitions(
            cursor, first=today - timedelta(days=31), last=today
        )
        cursor.execute(REASON_FUNCTION)
        cursor.execute(
            LOAD_SQL,
            {
                "accounts": ACCOUNTS,
                "rules": rule_names(),
                "analysts": analyst_ids,
                "rows": rows,
                "start": timezone.now() - timedelta(seconds=span),
                "step": span / rows,
            },
        )
        cursor.execute(
            HUB_SQL,
            {
                "hub": HUB,
                "rows": rows,
                "customers": HUB_CUSTOMERS,
                "start": timezone.now() - timedelta(seconds=span),
                "step": span / HUB_CUSTOMERS,
            },
        )
        cursor.execute("VACUUM ANALYZE transactions_app_transaction")
    return time.monotonic() - started


CHANGELIST = "/admin/transactions_app/transaction/"
STATS = "/review/stats/"


def count_closed_days() -> None:
    """What the hourly task does first: count the rule fires of the closed
    legit days, which the statistics then read instead of their rows."""
    from django.utils import timezone

    from transactions_app.rules.fires import rule_fires_count_closed_days

    started = time.monotonic()
    days = rule_fires_count_closed_days(today=timezone.now().date())
    print(
        f"(rule fires of {len(days)} closed days counted in "
        f"{time.monotonic() - started:.1f} s, as the hourly task's first run)"
    )


def cases(rows: int) -> list[tuple[str, str, dict]]:
    """What an analyst asks for: (label, address, query parameters); the
    changelist with each filter, then the pages with per-rule precision."""
    from django.utils import timezone

    from transactions_app.models import Transaction

    middle = Transaction.objects.get(kafka_offset=rows // 2)
    day = timezone.localtime(middle.timestamp)
    case = (
        Transaction.objects.filter(review_status="new", kafka_offset__gt=rows // 2)
        .order_by("kafka_offset")
        .first()
    )
    month = {"until": timezone.now().isoformat(), "days": 30}
    return [
        ("default list (date hierarchy top)", CHANGELIST, {}),
        ("flagged", CHANGELIST, {"flagged": "yes"}),
        ("status escalated", CHANGELIST, {"review_status": "escalated"}),
        ("status new", CHANGELIST, {"review_status": "new"}),
        ("assigned to me", CHANGELIST, {"assignee": "me"}),
        ("rule velocity", CHANGELIST, {"rule": "velocity"}),
        ("amount 500-510", CHANGELIST, {"amount_min": "500", "amount_max": "510"}),
        ("flagged, amount >= 900", CHANGELIST, {"flagged": "yes", "amount_min": "900"}),
        ("search by account", CHANGELIST, {"q": middle.source}),
        ("search by transaction id", CHANGELIST, {"q": str(middle.transaction_id)}),
        (
            "date hierarchy, one month",
            CHANGELIST,
            {"timestamp__year": day.year, "timestamp__month": day.month},
        ),
        (
            "date hierarchy, one day",
            CHANGELIST,
            {
                "timestamp__year": day.year,
                "timestamp__month": day.month,
                "timestamp__day": day.day,
            },
        ),
        ("rule list with precision", "/admin/transactions_app/rule/", {}),
        ("review statistics page", STATS, {}),
        ("case page", f"{CHANGELIST}{case.pk}/change/", {}),
        (
            "network, ordinary account",
            "/review/network.json",
            {"account": middle.source, **month},
        ),
        (
            f"network, {HUB_CUSTOMERS:,} customers",
            "/review/network.json",
            {"account": HUB, **month},
        ),
        (
            f"network page, {HUB_CUSTOMERS:,} customers",
            "/review/network/",
            {"account": HUB, **month},
        ),
        (
            f"activity, {HUB_CUSTOMERS:,} customers",
            "/review/activity.json",
            {"account": HUB, **month},
        ),
    ]


def time_page(client, url: str, params: dict, runs: int) -> dict:
    """Median milliseconds over ``runs`` requests (after one to warm up),
    and the queries of one more request. Over https, as in production,
    where plain http is redirected."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, params, secure=True)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, params, secure=True)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, params, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url, params, secure=True)
    slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
    return {
        "ms": statistics.median(timings),
        "queries": len(queries.captured_queries),
        "slowest_ms": float(slowest["time"]) * 1000,
        "slowest_sql": slowest["sql"],
    }


def client_for(user):
    from django.conf import settings
    from django.test import Client

    hosts = [h for h in settings.ALLOWED_HOSTS if h != "*" and not h.startswith(".")]
    client = Client(HTTP_HOST=hosts[0] if hosts else "localhost")
    client.force_login(user)
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--keep", action="store_true", help="keep the benchmark database"
    )
    parser.add_argument(
        "--show-sql", action="store_true", help="print each case's slowest query"
    )
    args = parser.parse_args()
    url = setup_django()
    try:
        users = create_users()
        seconds = load(args.rows, [user.pk for user in users])
        print(
            f"loaded {args.rows:,} transactions and {HUB_CUSTOMERS:,} payments "
            f"to one merchant in {seconds:.1f} s"
        )
        client = client_for(users[0])
        print(f"{'case':<34} {'median ms':>10} {'queries':>8} {'slowest ms':>11}")
        uncounted = time_page(client, STATS, {}, args.runs)
        print(
            f"{'review statistics, none counted':<34} {uncounted['ms']:>10.1f} "
            f"{uncounted['queries']:>8} {uncounted['slowest_ms']:>11.1f}"
        )
        count_closed_days()
        for label, address, params in cases(args.rows):
            result = time_page(client, address, params, args.runs)
            print(
                f"{label:<34} {result['ms']:>10.1f} {result['queries']:>8} "
                f"{result['slowest_ms']:>11.1f}"
            )
            if args.show_sql:
                print(f"    {result['slowest_sql'][:400]}")
    finally:
        if not args.keep:
            drop_database(url)


if __name__ == "__main__":
    main()
