"""A classified transaction as a row of the transaction table, and a
batch of rows inserted at once: with ``COPY`` on PostgreSQL (through a
staging table when some are stored already), skipping the ids stored."""

import json

import orjson
from django.db import IntegrityError, connection
from django.db import transaction as db_transaction

from ..models import ReviewStatus, Transaction
from ..streaming.records import ClassifiedTransaction
from .selectors import ENGINE_FIELDS, stored_enrichment

ROW_COLUMNS = (
    *ENGINE_FIELDS,
    "received_at",
    "outcome",
    "score",
    "reasons",
    "rule_versions",
    "model_probability",
    "shadow_version",
    "shadow_probability",
    "review_status",
    "kafka_topic",
    "kafka_partition",
    "kafka_offset",
)
# The id and what ``_content`` compares; where the row was read.
CONTENT_COLUMNS = ENGINE_FIELDS
POSITION_COLUMNS = ROW_COLUMNS[-3:]


def row_of(item: ClassifiedTransaction) -> tuple:
    """A transaction as a tuple of ``ROW_COLUMNS`` values, JSON as text."""
    tx, verdict, origin = item.transaction, item.verdict, item.origin
    return (
        tx.transaction_id,
        tx.source,
        tx.target,
        tx.amount,
        tx.currency,
        tx.timestamp,
        *stored_enrichment(tx),
        item.received_at,
        verdict.outcome.value,
        verdict.score,
        orjson.dumps([reason.as_dict() for reason in verdict.reasons]).decode(),
        orjson.dumps(verdict.rule_versions).decode(),
        verdict.probability,
        verdict.shadow_version,
        verdict.shadow_probability,
        ReviewStatus.NEW.value if verdict.is_flagged else "",
        origin.topic,
        origin.partition,
        origin.offset,
    )


def insert_ignoring_existing(rows: list[tuple]) -> set:
    """Insert rows whose transaction id is not stored yet; return the ids
    inserted. Must run inside a transaction."""
    if not rows:
        return set()
    if connection.vendor == "postgresql":
        return _copy_insert(rows)
    ids = [row[0] for row in rows]
    existing = set(
        Transaction.objects.filter(transaction_id__in=ids).values_list(
            "transaction_id", flat=True
        )
    )
    fresh = [row for row in rows if row[0] not in existing]
    Transaction.objects.bulk_create(
        [_model(row) for row in fresh], ignore_conflicts=True, batch_size=1000
    )
    return {row[0] for row in fresh}


def _model(row: tuple) -> Transaction:
    values = dict(zip(ROW_COLUMNS, row, strict=True))
    values["reasons"] = json.loads(values["reasons"])
    values["rule_versions"] = json.loads(values["rule_versions"])
    return Transaction(**values)


def _copy_insert(rows: list[tuple]) -> set:
    """PostgreSQL: COPY the batch straight into the table, in a savepoint.
    That is one write per row, and it is the common case: nothing in the
    batch is stored yet. If any id is (a redelivery after a crash, or
    another detector storing the same message), the unique index refuses
    the COPY, the savepoint is rolled back, and the batch goes through a
    staging table instead (``_copy_insert_skipping_stored``)."""
    table = Transaction._meta.db_table
    try:
        with db_transaction.atomic(), connection.cursor() as cursor:
            _copy(cursor, table, rows)
    except IntegrityError:
        return _copy_insert_skipping_stored(rows)
    return {row[0] for row in rows}


def _copy_insert_skipping_stored(rows: list[tuple]) -> set:
    """COPY the batch into a session-local staging table, then move it over
    with ON CONFLICT DO NOTHING, which reports exactly the ids it inserted
    even with other detectors writing at the same time."""
    table = Transaction._meta.db_table
    columns = ", ".join(ROW_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS transaction_staging "
            f"ON COMMIT DELETE ROWS AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        _copy(cursor, "transaction_staging", rows)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} "
            "FROM transaction_staging ON CONFLICT (transaction_id) DO NOTHING "
            "RETURNING transaction_id"
        )
        inserted = {row[0] for row in cursor.fetchall()}
    return inserted


def _copy(cursor, table: str, rows: list[tuple]) -> None:
    """COPY through the driver's cursor, its errors turned into Django's (a
    lost connection is an ``OperationalError`` the detector retries, a
    stored id an ``IntegrityError``)."""
    columns = ", ".join(ROW_COLUMNS)
    with connection.wrap_database_errors:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
