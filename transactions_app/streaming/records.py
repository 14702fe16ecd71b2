"""Plain values that travel between the streaming loop and the services.

Nothing here imports Kafka or Django: the detector builds these from Kafka
messages and the services store them.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from ..detection import Transaction, Verdict


@dataclass(frozen=True, slots=True)
class MessageOrigin:
    """Where a message came from: used to derive missing values.

    A missing ``transaction_id`` is derived from the topic, partition and
    offset, so a message redelivered after a crash gets the same id and is
    stored once. A missing ``timestamp`` becomes the Kafka message time.
    """

    topic: str
    partition: int
    offset: int
    timestamp: datetime
    key: bytes | None = None
    value: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()

    def rejected(self, error: str, received_at: datetime) -> "RejectedMessage":
        """This message as a dead letter, with why."""
        return RejectedMessage(
            topic=self.topic,
            partition=self.partition,
            offset=self.offset,
            key=self.key,
            value=self.value,
            headers=self.headers,
            error=error,
            received_at=received_at,
        )

    def derived_transaction_id(self) -> uuid.UUID:
        name = f"{self.topic}/{self.partition}/{self.offset}"
        return uuid.uuid5(uuid.NAMESPACE_URL, f"kafka:{name}")


@dataclass(frozen=True, slots=True)
class ClassifiedTransaction:
    """A decoded transaction with its verdict, where it was read, and when."""

    transaction: Transaction
    verdict: Verdict
    origin: MessageOrigin
    received_at: datetime


@dataclass(frozen=True, slots=True)
class RejectedMessage:
    """A message that could not become a transaction, with why: kept in
    the database and sent to the dead-letter topic."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    error: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class StoredBatch:
    """What storing a batch did: the transactions it stored for the first
    time; the messages it refused because they reuse a stored transaction
    id with other content (kept as dead letters); and the repeats, messages
    whose transaction was stored already, with the same content, from
    another Kafka position (their result was routed then: not again)."""

    new: list[ClassifiedTransaction]
    conflicts: list[RejectedMessage]
    repeats: list[ClassifiedTransaction] = field(default_factory=list)
