"""Step 1 of a batch: decode each consumed message and classify it, or
make it a dead letter with why. Nothing a message holds stops the loop."""

import logging
from collections.abc import Callable
from datetime import datetime

from confluent_kafka import Message

from ..detection import Transaction, Verdict
from .codec import EventTimeBounds, InvalidMessage, decode_transaction
from .kafka import message_origin, message_rejected
from .records import ClassifiedTransaction, RejectedMessage

logger = logging.getLogger(__name__)


def classify_batch(
    messages: list[Message],
    *,
    classify: Callable[[list[tuple[Transaction, int]]], list[Verdict]],
    received_at: datetime,
    bounds: EventTimeBounds,
    prepare: Callable[[list[tuple[Transaction, int]]], object] | None = None,
) -> tuple[list[ClassifiedTransaction], list[RejectedMessage]]:
    """The messages decoded and judged, in order, and the ones that could
    not be decoded (invalid, or failing in any other way) as dead letters.
    ``classify`` is given the batch's ``(transaction, partition)`` pairs in
    one call (a model scores them at once) and returns their verdicts;
    ``prepare`` is given them first, to load what the judging needs in one
    go."""
    decoded, dead = [], []
    for message in messages:
        try:
            origin = message_origin(message)
            transaction = decode_transaction(
                message.value(), origin, now=received_at, bounds=bounds
            )
        except InvalidMessage as error:
            dead.append(message_rejected(message, str(error), received_at))
            continue
        except Exception as error:  # noqa: BLE001 - never stop on input
            logger.exception("unexpected error decoding a message")
            reason = f"undecodable: {type(error).__name__}: {error}"
            dead.append(message_rejected(message, reason, received_at))
            continue
        decoded.append((transaction, origin))
    if not decoded:
        return [], dead
    batch = [(transaction, origin.partition) for transaction, origin in decoded]
    if prepare is not None:
        prepare(batch)
    classified = [
        ClassifiedTransaction(transaction, verdict, origin, received_at)
        for (transaction, origin), verdict in zip(decoded, classify(batch), strict=True)
    ]
    return classified, dead
