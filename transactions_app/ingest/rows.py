"""A classified transaction as a row of the transaction table, and a
batch of rows inserted at once: with binary ``COPY`` on PostgreSQL
(through a staging table when a concurrent writer stored some meanwhile),
skipping the ids stored."""

import ipaddress
import json
from datetime import UTC, datetime

import orjson
from django.db import IntegrityError, connection
from django.db import transaction as db_transaction
from psycopg import postgres
from psycopg.adapt import Dumper
from psycopg.pq import Format
from psycopg.types.net import InetBinaryDumper

from ..detection import Outcome
from ..models import ReviewStatus, RuleFiresDay, Transaction
from ..streaming.records import ClassifiedTransaction
from .selectors import ENGINE_FIELDS, stored_enrichment, transactions_stored_near

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
# Each column's PostgreSQL type, for binary COPY: the server applies no
# cast to binary input, so these must be the table's own types
# (``tests/ingest/test_rows.py`` compares them with the table).
COPY_TYPES = {
    "transaction_id": "uuid",
    "source": "varchar",
    "target": "varchar",
    "amount": "numeric",
    "currency": "varchar",
    "timestamp": "timestamptz",
    "merchant_category": "varchar",
    "channel": "varchar",
    "country": "varchar",
    "device_id": "varchar",
    "ip": "inet",
    "received_at": "timestamptz",
    "outcome": "varchar",
    "score": "int4",
    "reasons": "jsonb",
    "rule_versions": "jsonb",
    "model_probability": "float8",
    "shadow_version": "int4",
    "shadow_probability": "float8",
    "review_status": "varchar",
    "kafka_topic": "varchar",
    "kafka_partition": "int4",
    "kafka_offset": "int8",
}
# The id and what ``_content`` compares; where the row was read.
CONTENT_COLUMNS = ENGINE_FIELDS
POSITION_COLUMNS = ROW_COLUMNS[-3:]
_TIMESTAMP = ROW_COLUMNS.index("timestamp")
_OUTCOME, _REASONS = ROW_COLUMNS.index("outcome"), ROW_COLUMNS.index("reasons")
LEGIT = Outcome.LEGIT.value
_TOPIC, _PARTITION = (
    ROW_COLUMNS.index("kafka_topic"),
    ROW_COLUMNS.index("kafka_partition"),
)


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
    inserted. Must run inside a transaction.

    On PostgreSQL the table's unique key holds the event time and the
    outcome too (it is partitioned by them), so the id is looked for
    first, within ``SAME_ID_WINDOW`` of the batch's event times: a message
    read again may be classified otherwise the second time, and must
    still not be stored twice. Writers of the same Kafka partitions (a
    detector that lost them and the one that took them over) take their
    turns on an advisory lock per partition, so the one that looks second
    sees what the first stored."""
    if not rows:
        return set()
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        _lock_kafka_partitions(rows)
    stored = _stored_ids(rows)
    fresh = [row for row in rows if row[0] not in stored]
    if not fresh:
        return set()
    if postgresql:
        inserted = _copy_insert(fresh)
    else:
        Transaction.objects.bulk_create(
            [_model(row) for row in fresh], ignore_conflicts=True, batch_size=1000
        )
        inserted = {row[0] for row in fresh}
    _drop_fire_counts_of_past_days(fresh, inserted)
    return inserted


def _drop_fire_counts_of_past_days(rows: list[tuple], inserted: set) -> None:
    """Delete the rules' fire counts (``rules.fires``) of the days before
    today that took a legit row with reasons in this batch, after the
    insert: a day counted meanwhile held its partition until its count was
    committed, so this sees the count, and a day counted later sees the
    row. Nearly every batch holds only today's rows, so this is one
    comparison a row and no query."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    days = {
        row[_TIMESTAMP].astimezone(UTC).date()
        for row in rows
        if row[_TIMESTAMP] < today
        and row[_OUTCOME] == LEGIT
        and row[_REASONS] != "[]"
        and row[0] in inserted
    }
    if days:
        RuleFiresDay.objects.filter(day__in=days).delete()


def _lock_kafka_partitions(rows: list[tuple]) -> None:
    """Hold, until the commit, one advisory lock per Kafka partition the
    rows were read from, taken in one order by every writer (no
    deadlock)."""
    keys = sorted({f"{row[_TOPIC]}:{row[_PARTITION]}" for row in rows})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('transactions:' || key, 0)) "
            "FROM (SELECT key FROM unnest(%s::text[]) AS key ORDER BY key) AS keys",
            [keys],
        )


def _stored_ids(rows: list[tuple]) -> set:
    stored = transactions_stored_near(
        transaction_ids=[row[0] for row in rows],
        timestamps=[row[_TIMESTAMP] for row in rows],
    )
    return set(stored.values_list("transaction_id", flat=True))


def _model(row: tuple) -> Transaction:
    values = dict(zip(ROW_COLUMNS, row, strict=True))
    values["reasons"] = json.loads(values["reasons"])
    values["rule_versions"] = json.loads(values["rule_versions"])
    return Transaction(**values)


def _copy_insert(rows: list[tuple]) -> set:
    """PostgreSQL: COPY rows none of which was stored straight into the
    table, in a savepoint. If a writer of other Kafka partitions stored
    one of them meanwhile (the same message produced twice), the unique
    key refuses the COPY, the savepoint is rolled back, and the rows go
    through a staging table instead (``_copy_insert_skipping_stored``)."""
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
            "FROM transaction_staging ON CONFLICT ON CONSTRAINT tx_key DO NOTHING "
            "RETURNING transaction_id"
        )
        inserted = {row[0] for row in cursor.fetchall()}
    return inserted


def _copy(cursor, table: str, rows: list[tuple]) -> None:
    """COPY through the driver's cursor in PostgreSQL's binary format
    (nothing formatted as text to be parsed again: about 40 % less time a
    row than text COPY, measured on this table), its errors turned into
    Django's (a lost connection is an ``OperationalError`` the detector
    retries, a stored id an ``IntegrityError``)."""
    columns = ", ".join(ROW_COLUMNS)
    driver = cursor.cursor
    _register_text_dumpers(driver.adapters)
    with connection.wrap_database_errors:
        statement = f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"
        with driver.copy(statement) as copy:
            copy.set_types([COPY_TYPES[column] for column in ROW_COLUMNS])
            for row in rows:
                copy.write_row(row)


class _JsonbText(Dumper):
    """A jsonb value from JSON already written as text (``row_of``): the
    binary form is a version byte, then the text."""

    format = Format.BINARY
    oid = postgres.types["jsonb"].oid

    def dump(self, obj: str) -> bytes:
        return b"\x01" + obj.encode()


class _InetText(InetBinaryDumper):
    """An inet value from an address as text (canonical already: the
    decoder wrote it)."""

    oid = postgres.types["inet"].oid

    def dump(self, obj: str):
        return super().dump(ipaddress.ip_address(obj))


def _register_text_dumpers(adapters) -> None:
    """Make the cursor's binary COPY take the row's JSON and IP address as
    the text they are (the driver's own dumpers for those types want
    Python objects); only by the type's oid, so nothing else changes."""
    adapters.register_dumper(None, _JsonbText)
    adapters.register_dumper(None, _InetText)
