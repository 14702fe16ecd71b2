"""Reads of what the detector stored: the history a detector restores its
windows and baselines from, one transaction by id, dead letters by id."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import CharField, Count, F, Max, Min, Window
from django.db.models.functions import Cast, ExtractHour, Right, RowNumber

from .. import detection
from ..detection.baselines import PAYER_AMOUNTS, POPULATION_AMOUNTS, SAMPLING_MASK
from ..detection.state import MAX_COUNTERPARTIES, hour_of
from ..models import DeadLetter, Transaction
from . import partitions

RESTORE_LIMIT = 500_000
# Accounts per query when reading baselines: bounded ``IN`` lists.
HISTORY_CHUNK = 2_000
# A transaction is in its population's sample when the low bits of its id
# (``SAMPLING_MASK``) are zero: its id's text ends in one of these digits.
SAMPLED_ID = "sampled_id_digit"
SAMPLED_LAST_DIGITS = [f"{digit:x}" for digit in range(16) if not digit & SAMPLING_MASK]

# The columns a stored transaction gives the engine, in the order of
# ``detection.Transaction``'s fields.
ENGINE_FIELDS = (
    "transaction_id",
    "source",
    "target",
    "amount",
    "currency",
    "timestamp",
    *detection.ENRICHMENT_FIELDS,
)
_BASE_FIELDS = len(ENGINE_FIELDS) - len(detection.ENRICHMENT_FIELDS)


def transactions_partitioned() -> bool:
    """Whether the transaction table is partitioned (PostgreSQL after
    migration 0028; never on SQLite)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        return partitions.is_partitioned(cursor)


def engine_transaction(values) -> detection.Transaction:
    """A stored transaction as the engine takes it, from its
    ``ENGINE_FIELDS`` values (a ``values_list`` row): an enrichment field
    stored empty is one the message did not carry."""
    base, enrichment = values[:_BASE_FIELDS], values[_BASE_FIELDS:]
    return detection.Transaction(*base, *(value or None for value in enrichment))


def stored_enrichment(transaction: detection.Transaction) -> tuple:
    """The enrichment fields as the columns store them (empty, the IP
    null, when absent): the inverse of ``engine_transaction``."""
    return tuple(
        getattr(transaction, name) or ("" if name != "ip" else None)
        for name in detection.ENRICHMENT_FIELDS
    )


# How far apart in event time two transactions with the same id are still
# the same transaction to the store (a repeat or a conflict); further apart
# they are two. The store must look for the id in a bounded number of time
# partitions: all of them would cost a probe of each per batch.
SAME_ID_WINDOW = timedelta(days=1)


def transactions_stored_near(*, transaction_ids, timestamps):
    """Stored transactions with one of ``transaction_ids`` and an event
    time within ``SAME_ID_WINDOW`` of ``timestamps`` (the batch's), as a
    queryset: the partitions outside the window are not read."""
    return Transaction.objects.filter(
        transaction_id__in=transaction_ids,
        timestamp__gte=min(timestamps) - SAME_ID_WINDOW,
        timestamp__lte=max(timestamps) + SAME_ID_WINDOW,
    )


def transaction_get(*, transaction_id) -> Transaction | None:
    return Transaction.objects.filter(transaction_id=transaction_id).first()


def transactions_for_restore(
    *, topic: str, partition: int, since: datetime, limit: int = RESTORE_LIMIT
) -> list[detection.Transaction]:
    """Transactions read from one input partition since ``since`` (at most
    ``limit``, the newest), oldest first, as engine values: the history a
    detector needs to rebuild that partition's windows."""
    rows = (
        Transaction.objects.filter(
            kafka_topic=topic, kafka_partition=partition, timestamp__gte=since
        )
        .order_by("-timestamp")
        .values_list(*ENGINE_FIELDS)[:limit]
    )
    return [engine_transaction(row) for row in reversed(rows)]


def dead_letters_by_ids(*, dead_letter_ids) -> list:
    return list(DeadLetter.objects.filter(pk__in=dead_letter_ids).order_by("id"))


def account_histories(
    *,
    topic: str,
    sources: Iterable[str],
    targets: Iterable[str],
    after: datetime,
    before: datetime,
) -> tuple[dict[str, detection.PayerHistory], dict[str, detection.ReceiverHistory]]:
    """What the stored transactions with ``after <= timestamp < before``
    say of these accounts: each payer's first and last payment, count,
    last amounts, hours and receivers (from ``topic``, whose partitions
    hold all of a payer's payments), and each receiver's first and last
    payment received and count (from every partition: a receiver is paid
    by payers of all of them). The baselines a restarted detector gives
    the accounts of the transactions it replays."""
    window = Transaction.objects.filter(timestamp__gte=after, timestamp__lt=before)
    payers = {}
    for chunk in _chunks(sources):
        payers |= _payer_histories(window.filter(kafka_topic=topic, source__in=chunk))
    receivers = {}
    for chunk in _chunks(targets):
        receivers |= {
            row["target"]: detection.ReceiverHistory(
                first_seen=row["first"].timestamp(),
                last_seen=row["last"].timestamp(),
                count=row["count"],
            )
            for row in window.filter(kafka_topic=topic, target__in=chunk)
            .values("target")
            .annotate(first=Min("timestamp"), last=Max("timestamp"), count=Count("id"))
            .order_by()
        }
    return payers, receivers


def population_histories(
    *, topic: str, currencies: Iterable[str], after: datetime, before: datetime
) -> dict[str, tuple[tuple[float, int], ...]]:
    """Per currency of ``currencies``, the last ``POPULATION_AMOUNTS`` payments of
    ``topic`` in its population's sample (``detection.baselines.sampled``:
    the low two bits of the transaction id, the last hex digit of its text
    form) with ``after <= timestamp < before``, oldest first, as ``(amount,
    hour)``: the cold-start baseline a restarted detector gets back."""
    window = Transaction.objects.alias(
        **{SAMPLED_ID: Right(Cast("transaction_id", CharField()), 1)}
    ).filter(
        kafka_topic=topic,
        timestamp__gte=after,
        timestamp__lt=before,
        **{f"{SAMPLED_ID}__in": SAMPLED_LAST_DIGITS},
    )
    populations = {}
    for currency in sorted(set(currencies)):
        newest = (
            window.filter(currency=currency)
            .order_by("-timestamp", "-id")
            .values_list("amount", "timestamp")[:POPULATION_AMOUNTS]
        )
        sample = tuple(
            (float(amount), hour_of(timestamp.timestamp()))
            for amount, timestamp in reversed(newest)
        )
        if sample:
            populations[currency] = sample
    return populations


def _chunks(accounts: Iterable[str]) -> Iterable[list[str]]:
    accounts = sorted(set(accounts))
    for start in range(0, len(accounts), HISTORY_CHUNK):
        yield accounts[start : start + HISTORY_CHUNK]


def _payer_histories(rows) -> dict[str, detection.PayerHistory]:
    """The histories of the payers ``rows`` has any of: one query finds
    them (for accounts new to the system, the only one), three more read
    their amounts, hours and receivers."""
    totals = list(
        rows.values("source")
        .annotate(first=Min("timestamp"), last=Max("timestamp"), count=Count("id"))
        .order_by()
    )
    if not totals:
        return {}
    rows = rows.filter(source__in=[row["source"] for row in totals])
    latest = (
        rows.annotate(
            newest_first=Window(
                RowNumber(),
                partition_by=F("source"),
                order_by=(F("timestamp").desc(), F("id").desc()),
            )
        )
        .filter(newest_first__lte=PAYER_AMOUNTS)
        .order_by("source", "timestamp", "id")
        .values_list("source", "amount")
    )
    amounts = defaultdict(list)
    for source, amount in latest:
        amounts[source].append(float(amount))
    hours = defaultdict(lambda: [0] * 24)
    for row in (
        rows.annotate(hour=ExtractHour("timestamp", tzinfo=UTC))
        .values("source", "hour")
        .annotate(count=Count("id"))
        .order_by()
    ):
        hours[row["source"]][row["hour"]] = row["count"]
    paid = defaultdict(list)
    for row in (
        rows.values("source", "target")
        .annotate(last=Max("timestamp"))
        .order_by("source", "last", "target")
    ):
        paid[row["source"]].append((row["target"], row["last"].timestamp()))
    return {
        row["source"]: detection.PayerHistory(
            first_seen=row["first"].timestamp(),
            last_seen=row["last"].timestamp(),
            count=row["count"],
            amounts=tuple(amounts[row["source"]]),
            hours=tuple(hours[row["source"]]),
            counterparties=tuple(paid[row["source"]][-MAX_COUNTERPARTIES:]),
        )
        for row in totals
    }
