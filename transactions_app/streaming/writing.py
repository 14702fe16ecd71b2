"""Steps 2 and 3 of a batch (and 4 with exactly-once), which run on the
writer thread while the loop classifies the next batch: store the batch
in the database, retrying while it is away, then deliver its results and
dead letters to Kafka (``delivery``). The thread itself is here too.
"""

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from confluent_kafka import TopicPartition

from ..detection import ReceivedPayment
from .codec import RECEIVED_ORIGIN_HEADER, encode_received, encode_verdict
from .deadletters import bounded_error, dead_letter_message
from .delivery import Delivery, Outcome
from .outgoing import Outgoing
from .records import ClassifiedTransaction, RejectedMessage, StoredBatch
from .retry import Backoff

logger = logging.getLogger(__name__)

# Payments a shared receivers' message holds: at most about 250 bytes each,
# so a message stays far below the producer's 2 MiB.
RECEIVED_PER_MESSAGE = 2000


@dataclass(frozen=True, slots=True)
class Written:
    """A batch stored and delivered (or dropped): how delivery ended, the
    transactions routed, the dead letters produced (with the conflicts
    storage found) and what storage reported."""

    outcome: Outcome
    classified: list[ClassifiedTransaction]
    dead: list[RejectedMessage]
    stored: StoredBatch


class BatchWriter:
    """Stores a classified batch, then delivers its results to the legit or
    fraud topic and its dead letters, with ``delivery``.

    ``store(classified, rejected)`` returns a ``StoredBatch``; a reused id
    with other content (a conflict) goes to the dead-letter topic instead
    of its result, and an exact repeat of a stored transaction from
    another position is not routed again. Exceptions of the ``retryable``
    types from ``store`` are retried with backoff (``on_store_error`` runs
    after each, to drop a broken connection); any other propagates.
    """

    def __init__(
        self,
        *,
        store: Callable[
            [Sequence[ClassifiedTransaction], Sequence[RejectedMessage]], StoredBatch
        ],
        delivery: Delivery,
        topics,
        retryable: tuple[type[BaseException], ...],
        on_store_error: Callable[[], object],
        stop: threading.Event,
        retry_delay: float,
    ) -> None:
        self._store = store
        self._delivery = delivery
        self._topics = topics
        self._retryable = retryable
        self._on_store_error = on_store_error
        self._stop = stop
        self._retry_delay = retry_delay

    def write(
        self,
        classified: Callable[[], list[ClassifiedTransaction]],
        dead: list[RejectedMessage],
        told: list[ReceivedPayment],
        offsets: list[TopicPartition],
        group_metadata,
    ) -> Written | None:
        """Finish the batch's verdicts (``classified``: what the models make
        of it, here rather than on the consumer's thread, which meanwhile
        judges the next batch), store, then deliver the results, the dead
        letters and the payments ``told`` to the shared receivers
        (committing ``offsets`` for the group of ``group_metadata`` with
        exactly-once); None when asked to stop first (nothing may be
        committed then)."""
        classified = classified()
        stored = self._store_with_retry(classified, dead)
        if stored is None:
            return None
        classified, dead = self._routed(classified, dead, stored)
        pending = (
            self._results(classified)
            + self._dead_letters(dead)
            + self._told_receivers(told)
        )
        outcome = self._delivery.deliver(pending, offsets, group_metadata)
        if outcome is Outcome.STOPPED:
            return None
        return Written(outcome, classified, dead, stored)

    @staticmethod
    def _routed(classified, dead, stored: StoredBatch):
        """The transactions to route and the dead letters to produce, given
        what storage found: conflicts become dead letters, repeats are not
        routed again."""
        if not (stored.conflicts or stored.repeats):
            return classified, dead
        not_routed = {(c.partition, c.offset) for c in stored.conflicts} | {
            (r.origin.partition, r.origin.offset) for r in stored.repeats
        }
        routed = [
            item
            for item in classified
            if (item.origin.partition, item.origin.offset) not in not_routed
        ]
        return routed, dead + stored.conflicts

    def _store_with_retry(self, classified, dead) -> StoredBatch | None:
        backoff = Backoff(initial=self._retry_delay, maximum=30.0, wait=self._stop.wait)
        while True:
            try:
                return self._store(classified, dead)
            except self._retryable as error:
                self._on_store_error()
                if backoff.pause_after(f"storing a batch failed ({error})"):
                    return None

    def _results(self, classified: list[ClassifiedTransaction]) -> list[Outgoing]:
        return [
            Outgoing(
                self._topics.fraud if item.verdict.is_flagged else self._topics.legit,
                key=str(item.transaction.transaction_id).encode(),
                value=encode_verdict(item.transaction, item.verdict),
            )
            for item in classified
        ]

    def _told_receivers(self, told: list[ReceivedPayment]) -> list[Outgoing]:
        """The payments for the shared receivers' topic, ``RECEIVED_PER_MESSAGE``
        a message, keyed and marked with the engine that recorded them (so
        it skips them when they come back)."""
        topic = self._topics.receivers
        if topic is None or not told:
            return []
        origin = told[0].origin
        marked = origin.encode()
        return [
            Outgoing(
                topic,
                key=marked,
                value=encode_received(
                    told[start : start + RECEIVED_PER_MESSAGE], origin
                ),
                headers=[(RECEIVED_ORIGIN_HEADER, marked)],
            )
            for start in range(0, len(told), RECEIVED_PER_MESSAGE)
        ]

    def _dead_letters(self, dead: list[RejectedMessage]) -> list[Outgoing]:
        letters = []
        for item in dead:
            logger.warning(
                "dead letter %s[%d]@%d: %s",
                item.topic,
                item.partition,
                item.offset,
                bounded_error(item.error),
            )
            letters.append(dead_letter_message(self._topics.deadletter, item))
        return letters


class WriterThread:
    """Runs submitted calls one at a time, in order, on a daemon thread.

    Unlike ``ThreadPoolExecutor``, whose threads the interpreter joins at
    exit, a thread hung in a producer call (see ``STUCK_AFTER``) cannot
    keep the process from exiting once the detector gave up on it."""

    def __init__(self, name: str) -> None:
        self._calls: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def submit(self, call: Callable, *args) -> Future:
        future: Future = Future()
        self._calls.put((future, call, args))
        return future

    def shutdown(self, wait: bool = True) -> None:
        self._calls.put(None)
        if wait:
            self._thread.join()

    def _work(self) -> None:
        while (item := self._calls.get()) is not None:
            future, call, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(call(*args))
            except BaseException as error:  # noqa: BLE001 - handed to the caller
                future.set_exception(error)
