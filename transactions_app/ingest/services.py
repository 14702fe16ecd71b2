"""Writes of what the detector stores: every change to stored
transactions and dead letters goes through here (a batch with its dead
letters and alert outbox rows, re-drives; the retention purge is
``retention``)."""

import base64
import logging
from collections.abc import Sequence

from django.db import transaction as db_transaction
from django.utils import timezone

from .. import detection
from ..alerts.services import alert_deliveries_create
from ..alerts.tasks import send_alerts
from ..detection import Outcome
from ..models import (
    DeadLetter,
)
from ..streaming.deadletters import FittedDeadLetter, fit_dead_letter
from ..streaming.records import ClassifiedTransaction, RejectedMessage, StoredBatch
from .rows import CONTENT_COLUMNS, POSITION_COLUMNS, insert_ignoring_existing, row_of
from .selectors import (
    dead_letters_by_ids,
    engine_transaction,
    transactions_stored_near,
)

logger = logging.getLogger(__name__)


def transactions_store_batch(
    *,
    classified: Sequence[ClassifiedTransaction],
    rejected: Sequence[RejectedMessage] = (),
) -> StoredBatch:
    """Store a batch in one database transaction; report what was new.

    Idempotent on ``transaction_id``: a transaction already stored (with
    an event time within ``SAME_ID_WINDOW`` of this one's; further apart
    they are two transactions) is skipped, the first version kept, and
    only the transactions this call inserted are reported new (see
    ``rows.insert_ignoring_existing``; PostgreSQL loads the batch with
    ``COPY``). What was stored already is told apart by where it was read:

    - from the same Kafka position: the batch is being read again after a
      crash or a rebalance, and its results must be produced again (the
      first attempt may never have produced them);
    - from another position with the same content (a producer that sent it
      twice, or twice in one batch): a repeat, reported so that it is not
      routed a second time;
    - with other content: a conflict, stored and reported as a dead letter.

    Rejected messages and conflicts are stored as dead letters in the same
    transaction, and so are the fraud alerts of the new transactions (one
    outbox row per channel, see ``alerts.services``); they are queued after
    the commit, one task per batch.
    """
    unique, conflicts, repeats = _first_per_transaction_id(classified)
    with db_transaction.atomic():
        new_ids = insert_ignoring_existing([row_of(item) for item in unique.values()])
        seen = [item for key, item in unique.items() if key not in new_ids]
        stored_conflicts, stored_repeats = _compare_with_stored(seen)
        conflicts += stored_conflicts
        repeats += stored_repeats
        refused = [_conflict_letter(item) for item in conflicts]
        dead_letters_store(rejected=[*rejected, *refused])
        new = [item for key, item in unique.items() if key in new_ids]
        alerts = alert_deliveries_create(transaction_ids=_fraud_ids(new))
    if alerts:
        db_transaction.on_commit(lambda: _queue_alerts(alerts), robust=True)
    return StoredBatch(new=new, conflicts=refused, repeats=repeats)


def _fraud_ids(new: list[ClassifiedTransaction]) -> list:
    return [
        item.transaction.transaction_id
        for item in new
        if item.verdict.outcome == Outcome.FRAUD
    ]


def _first_per_transaction_id(classified: Sequence[ClassifiedTransaction]):
    """The first item per id; the later ones whose content differs
    (conflicts); and the later ones with the same content (repeats)."""
    unique: dict = {}
    conflicts, repeats = [], []
    for item in classified:
        first = unique.setdefault(item.transaction.transaction_id, item)
        if _position(first) == _position(item):
            continue  # the first itself (or the same message twice)
        (conflicts if _content(first) != _content(item) else repeats).append(item)
    return unique, conflicts, repeats


def _content(item: ClassifiedTransaction) -> detection.Transaction:
    """What must match for two messages to be the same transaction: every
    field (the id included, which is the same anyway)."""
    return item.transaction


def _position(item: ClassifiedTransaction) -> tuple:
    return (item.origin.topic, item.origin.partition, item.origin.offset)


def _compare_with_stored(items: list[ClassifiedTransaction]) -> tuple[list, list]:
    """Of items whose id is stored already: those stored with other content
    (conflicts), and those stored with the same content from another Kafka
    position (repeats). The rest were stored from this very position."""
    if not items:
        return [], []
    width = len(CONTENT_COLUMNS)
    stored = {
        row[0]: (engine_transaction(row[:width]), row[width:])
        for row in transactions_stored_near(
            transaction_ids=[item.transaction.transaction_id for item in items],
            timestamps=[item.transaction.timestamp for item in items],
        ).values_list(*CONTENT_COLUMNS, *POSITION_COLUMNS)
    }
    conflicts, repeats = [], []
    for item in items:
        content, position = stored.get(
            item.transaction.transaction_id, (_content(item), _position(item))
        )
        if content != _content(item):
            conflicts.append(item)
        elif position != _position(item):
            repeats.append(item)
    return conflicts, repeats


def _conflict_letter(item: ClassifiedTransaction) -> RejectedMessage:
    error = (
        f"duplicate transaction_id {item.transaction.transaction_id} "
        "with different content"
    )
    return item.origin.rejected(error, item.received_at)


def _queue_alerts(delivery_ids: list[int]) -> None:
    """Low latency: one task per batch sends its alerts right after the
    commit. If it cannot be queued (Redis down) the error is logged and the
    dispatcher sends them from the outbox."""
    send_alerts.delay(delivery_ids)


def dead_letters_store(*, rejected: Sequence[RejectedMessage]) -> None:
    """Keep rejected messages, bounded to fit (``fit_dead_letter``); one row
    per Kafka position, so a batch read again after a crash adds nothing."""
    DeadLetter.objects.bulk_create(
        [_dead_letter_row(fit_dead_letter(item)) for item in rejected],
        ignore_conflicts=True,
    )


def _dead_letter_row(letter: FittedDeadLetter) -> DeadLetter:
    item = letter.item
    return DeadLetter(
        error=letter.error,
        topic=item.topic,
        partition=item.partition,
        offset=item.offset,
        key=letter.key,
        value=letter.value,
        headers=[
            [name, base64.b64encode(value or b"").decode()]
            for name, value in letter.headers
        ],
        original_size=letter.original_size,
        sha256=letter.sha256 or "",
        original_key_size=letter.original_key_size,
        headers_dropped=letter.headers_dropped,
        truncated=",".join(letter.truncated),
        received_at=item.received_at,
    )


def dead_letters_mark_redriven(*, dead_letter_ids, user_id=None) -> int:
    return DeadLetter.objects.filter(pk__in=dead_letter_ids).update(
        redriven_at=timezone.now(), redriven_by_id=user_id
    )


class RedriveFailed(Exception):
    """Kafka did not acknowledge every re-driven dead letter."""


def dead_letters_redrive(
    *, dead_letter_ids, producer, topic: str, user_id=None, timeout: float = 30.0
) -> int:
    """Send dead letters to ``topic`` again, as they came (key, bytes,
    headers, plus ``redriven.from``), through ``producer``, and mark them
    re-driven once Kafka acknowledged every one; returns how many were
    sent. Raises ``RedriveFailed`` (nothing marked) when Kafka did not
    accept them all. Truncated letters are skipped, with a warning: the
    message as it came is not kept whole, and sending what is kept would
    be another one."""
    letters = dead_letters_by_ids(dead_letter_ids=dead_letter_ids)
    if cut := [d.pk for d in letters if d.truncated]:
        logger.warning("not re-driving truncated dead letters %s", cut)
        letters = [d for d in letters if not d.truncated]
    failures = []
    for letter in letters:
        producer.produce(
            topic,
            key=bytes(letter.key) if letter.key is not None else None,
            value=bytes(letter.value) if letter.value is not None else None,
            headers=_original_headers(letter),
            on_delivery=lambda error, _message: error and failures.append(error),
        )
    if producer.flush(timeout) or failures:
        raise RedriveFailed(f"Kafka did not accept: {failures[:3]}")
    dead_letters_mark_redriven(dead_letter_ids=[d.pk for d in letters], user_id=user_id)
    return len(letters)


def _original_headers(letter) -> list[tuple[str, bytes]]:
    headers = [(name, base64.b64decode(value)) for name, value in letter.headers]
    position = f"{letter.topic}/{letter.partition}/{letter.offset}"
    return headers + [("redriven.from", position.encode())]
