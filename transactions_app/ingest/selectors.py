"""Reads of what the detector stored: the history a detector restores its
windows from, one transaction by id, dead letters by id."""

from datetime import datetime

from .. import detection
from ..models import DeadLetter, Transaction

RESTORE_LIMIT = 500_000

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
