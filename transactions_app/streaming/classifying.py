"""Step 1 of a batch: decode each consumed message and judge it, or make
it a dead letter with why. Nothing a message holds stops the loop. What
the models make of the batch is left to the writer's thread
(``JudgedMessages.classified``)."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from confluent_kafka import Message

from ..detection import Transaction
from .codec import EventTimeBounds, InvalidMessage, decode_transaction
from .kafka import message_origin, message_rejected
from .records import ClassifiedTransaction, MessageOrigin, RejectedMessage

logger = logging.getLogger(__name__)


@dataclass
class JudgedMessages:
    """A batch's messages decoded and judged by the rules; ``classified``
    adds what the models make of them (``JudgedBatch.verdicts``), which may
    run on another thread than the judging."""

    decoded: list[tuple[Transaction, MessageOrigin]]
    judged: object  # a ``detection.JudgedBatch``, or anything with ``verdicts``
    received_at: datetime

    def classified(self) -> list[ClassifiedTransaction]:
        """The transactions with their verdicts, in order."""
        if not self.decoded:
            return []
        return [
            ClassifiedTransaction(transaction, verdict, origin, self.received_at)
            for (transaction, origin), verdict in zip(
                self.decoded, self.judged.verdicts(), strict=True
            )
        ]


def judge_batch(
    messages: list[Message],
    *,
    judge: Callable[[list[tuple[Transaction, int]]], object],
    received_at: datetime,
    bounds: EventTimeBounds,
    prepare: Callable[[list[tuple[Transaction, int]]], object] | None = None,
) -> tuple[JudgedMessages, list[RejectedMessage]]:
    """The messages decoded and judged, in order, and the ones that could
    not be decoded (invalid, or failing in any other way) as dead letters.
    ``judge`` is given the batch's ``(transaction, partition)`` pairs in
    one call (a model scores them at once, when their verdicts are asked
    for); ``prepare`` is given them first, to load what the judging needs
    in one go."""
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
        return JudgedMessages([], None, received_at), dead
    batch = [(transaction, origin.partition) for transaction, origin in decoded]
    if prepare is not None:
        prepare(batch)
    return JudgedMessages(decoded, judge(batch), received_at), dead
