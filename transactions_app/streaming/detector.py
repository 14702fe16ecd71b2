"""The detector loop: consume a batch, classify, store, route, commit.

The order of the steps is the delivery guarantee. For every batch:

1. decode and classify each message (bad ones become dead letters);
2. store the batch in the database in one transaction (idempotent on
   ``transaction_id``), retrying with backoff while the database is down;
3. produce each result to the legit or fraud topic and each dead letter to
   the dead-letter topic (see ``delivery``);
4. commit the batch's offsets;
5. broadcast the new rows to the live page (best effort).

With ``exactly_once`` steps 3 and 4 are one Kafka transaction, committed
by the producer: a crash or an abort before its commit leaves nothing that
a ``read_committed`` reader sees, and the batch is read again; step 2 then
skips what was stored and step 3 produces its results once. Without it,
step 3 waits until Kafka has acknowledged every message and step 4 is the
consumer's commit: a crash between the two produces the batch's results
again (at-least-once output).

Steps 2 and 3 run on a writer thread while the loop decodes and classifies
the next batch, so the database and the broker work while Python does.
That overlap is kept for full batches (the stream is saturated); a batch
smaller than the batch size first commits the batch in hand, so at low
rates a commit waits for its own writing, not for the next batch's
classification.
Steps 4 and 5 stay on the loop's thread, which alone uses the consumer. At
most one batch is in the writer's hands: the loop waits for it (and
commits it) before handing over the next one, and hands nothing over after
a batch that did not complete, so offsets are committed in order and never
past a batch that was not stored. A rebalance commits the batch in hand
before the partitions go. A transaction whose offsets the group refuses
(the partitions were lost to a rebalance meanwhile) is aborted and the
batch dropped, with the one consumed after it: the partitions' new owner
reads both again.

A client that Kafka declares dead (a fatal error, such as a static member
fenced after a long outage) ends ``run`` with ``KafkaClientFailed``, the
clients closed and the batch in hand uncommitted: the caller builds a new
detector, which reads that batch again (storage skips what is stored).
So does a consumer that delivers nothing for ``starved_after`` seconds
while messages wait on its partitions and no batch is in hand: whatever
keeps it from fetching, new clients are the cure, never an idle loop.
"""

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import datetime

from confluent_kafka import (
    Message,
)

from ..detection.clock import utc_now
from .classifying import judge_batch
from .codec import DEFAULT_EVENT_TIME_BOUNDS, EventTimeBounds
from .delivery import Delivery, Outcome, TransactionalDelivery
from .kafka import KafkaClientFailed, close_quietly, is_data
from .offsets import (
    commit_offsets,
    next_offsets,
    rewind_to_committed,
    store_committed,
)
from .ports import Detection, DetectorTopics
from .progress import Progress
from .receivers import ReceiverFeed
from .records import ClassifiedTransaction, RejectedMessage
from .writing import BatchWriter, WriterThread

logger = logging.getLogger(__name__)

# Poll timeout while the writer has a batch: how soon a finished batch is
# committed when no new messages arrive.
WRITER_CHECK = 0.005

# How long the consumer may deliver nothing, with messages waiting on its
# partitions and no batch in hand, before it counts as stuck: the health
# check's limit (see metrics.STALL_SECONDS).
STARVED_AFTER = 60.0


class Detector:
    """Runs the pipeline until ``signal_shutdown`` or an idle timeout.

    ``store(classified, rejected)`` persists a batch of
    ``ClassifiedTransaction`` and ``RejectedMessage`` items in one go and
    returns a ``StoredBatch``: the transactions newly stored, which
    ``broadcast`` receives, and the conflicts (a reused id with other
    content), which go to the dead-letter topic instead of the results.
    Exceptions of the ``retryable`` types from ``store`` (a database that
    is down) are retried with backoff; anything else stops the detector,
    uncommitted. ``writer_teardown`` runs on the writer thread when the
    detector closes (to close that thread's database connection).
    ``on_poll`` is called after every poll of the consumer, ``on_batch``
    after every commit (the health check watches both). ``waiting``
    answers how many messages wait on the assigned partitions past the
    committed offsets (None when unknown); when the consumer has delivered
    nothing for ``starved_after`` seconds, with no batch in hand, while
    some wait, ``run`` raises ``KafkaClientFailed`` for new clients. With
    ``exactly_once`` the producer must be transactional (a
    ``transactional.id``): each batch's results, dead letters and offsets
    are one transaction, and the consumer never commits. With ``receivers``
    (a ``ReceiverFeed``; ``topics.receivers`` names its topic) receivers
    are shared: before each batch the payments other detectors recorded
    are read and given to ``detection.receive``, and the payments this one
    recorded (``detection.received()``) are produced with the batch.
    """

    def __init__(
        self,
        *,
        consumer,
        producer,
        topics: DetectorTopics,
        detection: Detection,
        store: Callable[
            [Sequence[ClassifiedTransaction], Sequence[RejectedMessage]], Sequence
        ],
        broadcast: Callable[[Sequence], object],
        retryable: tuple[type[BaseException], ...] = (ConnectionError,),
        on_store_error: Callable[[], object] = lambda: None,
        on_batch: Callable[..., object] = lambda **batch: None,
        on_poll: Callable[[], object] = lambda: None,
        waiting: Callable[[], int | None] = lambda: None,
        starved_after: float = STARVED_AFTER,
        writer_teardown: Callable[[], object] = lambda: None,
        exactly_once: bool = False,
        receivers: ReceiverFeed | None = None,
        batch_size: int = 500,
        poll_timeout: float = 0.1,
        exit_when_idle: float | None = None,
        progress_interval: float = 10.0,
        retry_delay: float = 0.5,
        event_time_bounds: EventTimeBounds = DEFAULT_EVENT_TIME_BOUNDS,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._consumer = consumer
        self._receivers = receivers
        self._exactly_once = exactly_once
        self._topics = topics
        self._detection = detection
        self._broadcast = broadcast
        self._on_poll = on_poll
        self._waiting = waiting
        self._starved_after = starved_after
        self._writer_teardown = writer_teardown
        self._writer_thread = WriterThread("detector-writer")
        self._in_flight: tuple[Future, list[Message], float] | None = None
        self._dropped: list[Message] = []  # of a batch the group refused
        self._writer_stuck = False
        self._batch_size = batch_size
        self._poll_timeout = poll_timeout
        self._exit_when_idle = exit_when_idle
        self._event_time_bounds = event_time_bounds
        self._clock = clock
        self._now = now
        self._stop = threading.Event()
        self._delivery = (TransactionalDelivery if exactly_once else Delivery)(
            producer, stop=self._stop, retry_delay=retry_delay
        )
        self._batch_writer = BatchWriter(
            store=store,
            delivery=self._delivery,
            topics=topics,
            retryable=retryable,
            on_store_error=on_store_error,
            stop=self._stop,
            retry_delay=retry_delay,
        )
        self._last_activity = self._last_delivered = clock()
        self._progress = Progress(
            on_batch=on_batch, interval=progress_interval, clock=clock, now=now
        )

    def run(self) -> None:
        """Subscribe and process batches until asked to stop; then close.
        Raises ``KafkaClientFailed`` when a client died (closed, nothing
        more committed)."""
        self._delivery.prepare()
        if self._receivers is not None:
            self._receivers.start()
        self._consumer.subscribe(
            [self._topics.transactions],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_revoke,
        )
        try:
            while not self._stop.is_set():
                self._run_once()
            self._finish_batch_in_hand()
        finally:
            self._close()

    @property
    def processed(self) -> int:
        """Transactions classified and committed so far."""
        return self._progress.processed

    @property
    def flagged(self) -> int:
        return self._progress.flagged

    @property
    def dead_letters(self) -> int:
        return self._progress.dead_letters

    @property
    def detection(self) -> Detection:
        """The detection side it was built with (for inspection)."""
        return self._detection

    def signal_shutdown(self) -> None:
        """Ask the loop to stop after the batch in hand. Safe from a signal
        handler; interrupts a backoff wait."""
        self._stop.set()

    def _run_once(self) -> None:
        self._detection.refresh()
        timeout = self._poll_timeout
        if self._in_flight is not None:
            timeout = min(timeout, WRITER_CHECK)
        messages = self._consumer.consume(self._batch_size, timeout)
        self._on_poll()
        messages = [m for m in messages if is_data(m)]
        if not messages:
            if self._in_flight is None:
                self._stop_if_idle()
                self._raise_if_starved()
            elif self._in_flight[0].done():
                self._finish_batch_in_hand()
                if self._dropped:
                    self._rewind(self._dropped)
            else:
                self._raise_if_writer_stuck()
                self._last_activity = self._clock()  # busy writing, not idle
            return
        self._last_activity = self._last_delivered = self._clock()
        if len(messages) < self._batch_size and not self._finish_batch_in_hand():
            self._stop.set()  # the batch before did not complete: hand over
            return
        started = self._clock()
        if self._receivers is not None:
            self._detection.receive(self._receivers.drain())
        judged, dead = judge_batch(
            messages,
            judge=self._detection.judge_batch,
            prepare=self._detection.prepare,
            received_at=self._now(),
            bounds=self._event_time_bounds,
        )
        if not self._finish_batch_in_hand():
            self._stop.set()  # the batch before did not complete: hand over
            return  # nothing after it, or its offsets would be committed
        if self._dropped:  # consumed after a batch the group refused
            self._rewind(self._dropped + messages)
            return
        group = self._consumer.consumer_group_metadata() if self._exactly_once else None
        future = self._writer_thread.submit(
            self._batch_writer.write,
            judged.classified,
            dead,
            self._detection.received(),
            next_offsets(messages),
            group,
        )
        self._in_flight = (future, messages, started)

    def _finish_batch_in_hand(self) -> bool:
        """Wait for the batch in the writer's hands, if any, then steps 4
        and 5 on this thread (the consumer's, which alone calls it). False
        when that batch did not complete; re-raises what stopped the
        writer. A batch the group refused is remembered in ``_dropped``
        (its rows are stored: they are broadcast)."""
        if self._in_flight is None:
            return True
        (future, messages, started), self._in_flight = self._in_flight, None
        written = self._result_of(future)
        if written is None:
            return False
        if written.outcome is Outcome.DROPPED:
            self._dropped = messages
            self._broadcast(written.stored.new)
            return True
        if written.outcome is Outcome.ACKNOWLEDGED:
            self._commit(messages)
        else:
            store_committed(self._consumer, next_offsets(messages))
        self._progress.committed(written, started)
        self._broadcast(written.stored.new)
        return True

    def _on_assign(self, consumer, partitions) -> None:
        numbers = sorted(tp.partition for tp in partitions)
        logger.info("partitions assigned: %s", numbers)
        self._detection.partitions_assigned(numbers)
        self._last_activity = self._clock()  # idle time counts from here
        self._last_delivered = self._clock()  # and time without messages

    def _on_revoke(self, consumer, partitions) -> None:
        numbers = sorted(tp.partition for tp in partitions)
        logger.info("partitions revoked: %s", numbers)
        if not self._finish_batch_in_hand():  # commit before they go
            self._stop.set()
        self._dropped = []  # their next owner reads from the committed offsets
        self._detection.partitions_revoked(numbers)

    def _stop_if_idle(self) -> None:
        if self._exit_when_idle is None:
            return
        if self._clock() - self._last_activity >= self._exit_when_idle:
            logger.info("idle for %.1f s, stopping", self._exit_when_idle)
            self._stop.set()

    def _raise_if_starved(self) -> None:
        """Raise ``KafkaClientFailed`` when the consumer has delivered
        nothing for ``starved_after`` seconds while messages wait: a
        consumer that polls and fetches nothing (seen once after a broker
        restart, the cause not found) would otherwise idle for ever."""
        silent = self._clock() - self._last_delivered
        if silent < self._starved_after:
            return
        waiting = self._waiting()
        if waiting:
            raise KafkaClientFailed(
                f"consumer: {waiting} messages wait on its partitions and "
                f"none was delivered for {silent:.0f} s"
            )

    def _commit(self, messages: list[Message]) -> None:
        offsets = next_offsets(messages)
        if commit_offsets(self._consumer, offsets):
            store_committed(self._consumer, offsets)

    def _rewind(self, messages: list[Message]) -> None:
        self._dropped = []
        rewind_to_committed(self._consumer, messages)

    def _result_of(self, future: Future):
        """The writer's result; ``_raise_if_writer_stuck`` while waiting."""
        while True:
            try:
                return future.result(timeout=1.0)
            except TimeoutError:
                self._raise_if_writer_stuck()

    def _raise_if_writer_stuck(self) -> None:
        """Raise ``KafkaClientFailed`` when the writer hangs in a producer
        call past every timeout: the producer is dead (a new one with its
        transactional id fences it). Checked while the loop waits for the
        writer and also while it polls beside it, since a consumer waiting
        for that very transaction's offsets to settle delivers nothing and
        would otherwise never make the loop wait."""
        if self._delivery.stuck():
            self._writer_stuck = True
            raise KafkaClientFailed(
                "producer: a transactional call hangs past its timeout"
            )

    def _close(self) -> None:
        self._stop.set()  # a batch still in the writer's hands gives up
        if self._in_flight is not None and not self._writer_stuck:
            try:  # stopping on an error: not committed
                self._result_of(self._in_flight[0])
            except Exception:  # noqa: BLE001 - what stopped the loop propagates
                pass
        self._in_flight = None
        if self._writer_stuck:  # leave it and the producer: never returns
            self._writer_thread.shutdown(wait=False)
            self._close_consumers()
            return
        try:
            self._writer_thread.submit(self._writer_teardown).result()
        finally:
            self._writer_thread.shutdown()
            close_quietly("producer", self._delivery.close)
            self._close_consumers()
        logger.info(
            "detector stopped: %d classified, %d dead letters",
            self.processed,
            self.dead_letters,
        )

    def _close_consumers(self) -> None:
        close_quietly("consumer", self._consumer.close)
        if self._receivers is not None:
            close_quietly("receivers' consumer", self._receivers.close)
