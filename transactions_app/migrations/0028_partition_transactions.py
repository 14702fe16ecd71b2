"""The transaction table partitioned by outcome and event time on
PostgreSQL (the layout: ``ingest/partitions.py``), so that retention
drops a day of legit transactions whole and indexes stay per partition.

A partitioned table's unique keys must hold its partition columns, so:

- the unique key is ``(transaction_id, timestamp, outcome)`` (``tx_key``)
  instead of ``transaction_id`` alone; the store checks the id itself
  before inserting (``ingest/rows.py``), whatever the outcome;
- the primary key in the database is ``(id, outcome, timestamp)``; ``id``
  still comes from one sequence and Django still knows it as the key;
- a legit row has no review status, assignee nor alert time (a check on
  the legit branch, ``LEGIT_CHECK``), so review filters skip its
  partitions;
- the review events and alert outbox rows refer to a transaction without
  a foreign key constraint in the database (there is no unique ``id``
  index for one to point at); Django still deletes them with it.

On PostgreSQL the existing table is rebuilt: its rows are copied into
the partitioned one, with partitions from the branch's oldest row's day (at most
``DAYS_BACK`` back; older rows go to the default partitions) to
``DAYS_AHEAD`` ahead, and every index and constraint it had is made again
on the new table. That
takes about as long as copying the table (see the README's figure).
Reversing it copies the rows back into a plain table.
"""

import re
from datetime import UTC, datetime, timedelta

from django.db import migrations, models

from transactions_app.ingest import partitions

TABLE = partitions.TABLE
OLD = f"{TABLE}_rebuilt"
# What a legit transaction never has (the review services refuse it, an
# alert is sent for fraud only), said to PostgreSQL on the legit branch:
# its constraint exclusion then skips every legit partition for a filter
# on the review status or the assignee (the review queues, "assigned to
# me"), which the partitions' bounds alone (the outcome) cannot.
LEGIT_CHECK = "tx_legit_unreviewed"
# How far back the migration makes partitions for rows stored already.
DAYS_BACK = 366


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if partitions.is_partitioned(cursor):
            return
        _rebuild(cursor, partitioned=True)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not partitions.is_partitioned(cursor):
            return
        _rebuild(cursor, partitioned=False)


def _rebuild(cursor, *, partitioned: bool) -> None:
    """Move the table's rows into a new one of the same columns, then make
    its constraints and indexes again as they were (the primary key with
    or without the partition columns)."""
    constraints, indexes = _constraints(cursor), _indexes(cursor)
    oldest = _oldest_per_branch(cursor)
    cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
    layout = " PARTITION BY LIST (outcome)" if partitioned else ""
    cursor.execute(
        f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        f"INCLUDING STORAGE){layout}"
    )
    # The old table's sequence goes with it; ``_number_rows`` makes one.
    cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id DROP DEFAULT")
    if partitioned:
        partitions.create_branches(cursor)
        today = datetime.now(UTC).date()
        for branch in partitions.BRANCHES:
            first = today - timedelta(days=1)
            if oldest[branch] is not None:
                back = today - timedelta(days=DAYS_BACK)
                first = max(min(first, oldest[branch].date()), back)
            last = today + timedelta(days=partitions.DAYS_AHEAD)
            partitions.ensure_partitions(
                cursor, first=first, last=last, branches=(branch,)
            )
    cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {OLD}")
    cursor.execute(f"DROP TABLE {OLD}")
    _number_rows(cursor)
    for name, kind, definition in constraints:
        if kind == "p":
            key = "id, outcome, timestamp" if partitioned else "id"
            definition = f"PRIMARY KEY ({key})"
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")
    for definition in indexes:
        cursor.execute(definition)
    if partitioned:
        cursor.execute(
            f"ALTER TABLE {partitions.LEGIT.table} ADD CONSTRAINT {LEGIT_CHECK} "
            "CHECK (review_status = '' AND assignee_id IS NULL AND alerted_at IS NULL)"
        )


def _oldest_per_branch(cursor) -> dict:
    """Each branch's oldest event time among the rows (None: no rows)."""
    oldest = {}
    for branch in partitions.BRANCHES:
        cursor.execute(
            f"SELECT min(timestamp) FROM {TABLE} WHERE outcome = ANY(%s)",
            [list(branch.outcomes)],
        )
        oldest[branch] = cursor.fetchone()[0]
    return oldest


def _constraints(cursor) -> list[tuple]:
    """The primary key, unique and foreign key constraints (the checks go
    with ``LIKE``)."""
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') "
        "ORDER BY contype, conname",
        [TABLE],
    )
    return cursor.fetchall()


def _indexes(cursor) -> list[str]:
    """The definitions of the indexes that back no constraint, on the
    table's name (the old table is renamed before they are made again)."""
    cursor.execute(
        "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass) "
        "ORDER BY indexname",
        [TABLE, TABLE],
    )
    on_table = re.compile(rf" ON (ONLY )?(\w+\.)?{TABLE} ")
    return [on_table.sub(f" ON {TABLE} ", row[0]) for row in cursor.fetchall()]


def _number_rows(cursor) -> None:
    """``id`` from a sequence owned by the column (a partitioned table has
    no identity columns before PostgreSQL 17), going on after the rows'
    highest id."""
    sequence = f"{TABLE}_id_seq"
    cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {sequence} AS bigint")
    cursor.execute(f"ALTER SEQUENCE {sequence} OWNED BY {TABLE}.id")
    cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{sequence}')")
    cursor.execute(
        f"SELECT setval('{sequence}', COALESCE((SELECT max(id) FROM {TABLE}), 0) + 1, false)"
    )


class Migration(migrations.Migration):
    dependencies = [("transactions_app", "0027_finding_payments_index")]

    operations = [
        migrations.AlterField(
            model_name="reviewevent",
            name="transaction",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=models.deletion.CASCADE,
                related_name="review_events",
                to="transactions_app.transaction",
            ),
        ),
        migrations.AlterField(
            model_name="alertdelivery",
            name="transaction",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=models.deletion.CASCADE,
                related_name="alert_deliveries",
                to="transactions_app.transaction",
            ),
        ),
        migrations.AlterField(
            model_name="transaction",
            name="transaction_id",
            field=models.UUIDField(),
        ),
        migrations.AddConstraint(
            model_name="transaction",
            constraint=models.UniqueConstraint(
                fields=("transaction_id", "timestamp", "outcome"), name="tx_key"
            ),
        ),
        migrations.RunPython(partition, unpartition),
    ]
