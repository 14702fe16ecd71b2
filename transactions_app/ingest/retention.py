"""Retention of stored transactions: on PostgreSQL, a day of legit
transactions is dropped whole with its partition once it is more than
``RETENTION_DAYS`` old, and the partitions of the days ahead are made
before they are needed (``ingest/partitions.py``); what no partition
holds (the default partitions, or a table not partitioned) is deleted
row by row. Flagged transactions and anything an analyst or an alert
touched are kept."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.db import transaction as db_transaction
from django.db.models import Exists, OuterRef

from ..detection import Outcome
from ..models import ReviewEvent, RuleFiresDay, Transaction
from . import partitions
from .selectors import transactions_partitioned


@dataclass(frozen=True)
class Purge:
    """What one run of retention removed: the legit partitions dropped
    (with about how many rows each held) and the rows deleted one by one."""

    dropped: list[partitions.Dropped] = field(default_factory=list)
    deleted: int = 0

    @property
    def estimated_rows(self) -> int:
        """About how many transactions went: the planner's count of each
        dropped partition (counting them would read them all) and the
        rows deleted one by one."""
        return self.deleted + sum(
            max(d.estimated_rows - d.kept, 0) for d in self.dropped
        )


def transactions_purge_legit(*, older_than: datetime, batch_size: int = 5000) -> Purge:
    """Remove the legit transactions with an event time before
    ``older_than`` that nobody reviewed, assigned or alerted on: the
    partitions whose days all lie before it are dropped (their touched
    rows kept, see ``partitions.drop_legit_partition``), each in a short
    transaction of its own, then what is left before it outside any
    partition is deleted row by row (``transactions_delete_legit``). A
    day partially older than ``older_than`` stays until the next run after
    it has all passed: a legit transaction is kept at least its
    retention, at most a day longer."""
    if not transactions_partitioned():
        return Purge(
            deleted=transactions_delete_legit(
                older_than=older_than, batch_size=batch_size
            )
        )
    dropped = []
    with connection.cursor() as cursor:
        for start in partitions.expired_legit_starts(cursor, before=older_than.date()):
            with db_transaction.atomic():
                dropped.append(partitions.drop_legit_partition(cursor, start))
                # its rows' rule fires go with it (the few kept are counted
                # where they went, the default partition)
                RuleFiresDay.objects.filter(day=start).delete()
        first = partitions.partition_starts(cursor, partitions.LEGIT)[:1]
    outside = min(older_than, *(partitions.midnight(day) for day in first))
    return Purge(
        dropped, transactions_delete_legit(older_than=outside, batch_size=batch_size)
    )


def transaction_partitions_ensure(*, today: date) -> list[str]:
    """Make the partitions missing from yesterday to
    ``partitions.DAYS_AHEAD`` days ahead (rows of their days waiting in a
    default partition move into them); returns their names. Nothing to do
    when the table is not partitioned (SQLite)."""
    if not transactions_partitioned():
        return []
    with db_transaction.atomic(), connection.cursor() as cursor:
        return partitions.ensure_partitions(
            cursor,
            first=today - timedelta(days=1),
            last=today + timedelta(days=partitions.DAYS_AHEAD),
        )


def transactions_delete_legit(*, older_than, batch_size: int = 5000) -> int:
    """Delete legit transactions with an event time before ``older_than``
    that nobody ever reviewed, assigned or alerted on, row by row; return
    how many.

    Review and fraud outcomes, and any row with an audit entry, are never
    touched. Batches walk the legit rows oldest first along the
    (outcome, time) index, each from where the last one ended, so a run
    reads every row once; each batch is one short DELETE of at most
    ``batch_size`` rows that checks the conditions again (a row reviewed
    meanwhile stays), so no lock is held for long.
    """
    deleted, after = 0, None
    while candidates := _legit_rows_before(older_than, after, batch_size):
        deleted += _delete_untouched_legit([pk for pk, _ in candidates])
        if len(candidates) < batch_size:
            break
        after = candidates[-1]
    return deleted


def _legit_rows_before(older_than, after, limit: int) -> list[tuple]:
    """(pk, timestamp) of the next ``limit`` legit rows older than
    ``older_than``, in (timestamp, pk) order, after the pair ``after``."""
    rows = Transaction.objects.filter(
        outcome=Outcome.LEGIT.value, timestamp__lt=older_than
    )
    if after is not None:
        pk, timestamp = after
        rows = rows.filter(timestamp__gte=timestamp).exclude(
            timestamp=timestamp, pk__lte=pk
        )
    rows = rows.order_by("timestamp", "pk").values_list("pk", "timestamp")
    return list(rows[:limit])


def _delete_untouched_legit(pks: list[int]) -> int:
    """One DELETE of those rows that are still legit and untouched."""
    untouched = (
        Transaction.objects.filter(
            pk__in=pks,
            outcome=Outcome.LEGIT.value,
            review_status="",
            assignee__isnull=True,
            alerted_at__isnull=True,
            alert_deliveries__isnull=True,
        )
        .exclude(Exists(ReviewEvent.objects.filter(transaction=OuterRef("pk"))))
        .order_by()
    )
    select, params = untouched.values("pk").query.sql_with_params()
    quote = connection.ops.quote_name
    table, pk = quote(Transaction._meta.db_table), quote(Transaction._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({select})", params)
        return cursor.rowcount
