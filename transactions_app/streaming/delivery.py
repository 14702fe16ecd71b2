"""Producing a batch's results and dead letters, one way per guarantee.

``Delivery`` (at-least-once) produces the messages and waits until Kafka
has acknowledged each, producing again, with backoff, only what Kafka
refused; the detector then commits the batch's offsets with the consumer.
A crash between the two produces the batch's results again.

``TransactionalDelivery`` (exactly-once for ``read_committed`` readers)
produces the messages and the batch's offsets in one Kafka transaction:
either all of them are committed or none is. A crash or an abort leaves
nothing a ``read_committed`` reader sees, and the offsets where they were,
so the batch is read again and its results produced once. An abort
discards the whole transaction, so a refusal means producing the whole
batch again in a new one (a dead letter refused for its size in its
minimal form). When the group has moved the partitions on (a rebalance
the transaction's group generation no longer matches), the batch is no
longer this detector's: it is aborted and left to the new owner.
"""

import enum
import functools
import logging
import threading
import time
from collections.abc import Callable

from confluent_kafka import KafkaError, KafkaException

from .kafka import KafkaClientFailed, is_fatal, produce_when_room
from .outgoing import Outgoing, next_attempt
from .retry import Backoff

logger = logging.getLogger(__name__)

# How long one transactional call may wait for the coordinator before it
# reports a (retriable) timeout.
TRANSACTION_CALL_TIMEOUT = 10.0

# A transactional call that has not returned after this long ignores its
# timeout: seen in ``send_offsets_to_transaction`` when the consumer whose
# group metadata it carries was fenced during a long broker outage. The
# producer is then treated as dead.
STUCK_AFTER = 3 * TRANSACTION_CALL_TIMEOUT

# What the group coordinator answers to offsets sent with a generation it
# no longer has: the partitions were revoked or lost in a rebalance.
GROUP_REFUSED = frozenset(
    {
        KafkaError.ILLEGAL_GENERATION,
        KafkaError.UNKNOWN_MEMBER_ID,
        KafkaError.FENCED_INSTANCE_ID,
        KafkaError.REBALANCE_IN_PROGRESS,
    }
)


class Outcome(enum.Enum):
    """How a batch's delivery ended."""

    ACKNOWLEDGED = "acknowledged"  # produced; the caller commits the offsets
    COMMITTED = "committed"  # produced, offsets committed in one transaction
    DROPPED = "dropped"  # the partitions moved on: the new owner reads it
    STOPPED = "stopped"  # asked to stop first: nothing committed


class _Stopped(Exception):
    """Asked to stop while waiting on Kafka."""


class Delivery:
    """At-least-once: produce, wait for every acknowledgement, and leave
    the offsets to the caller. ``stop`` interrupts every wait."""

    def __init__(self, producer, *, stop: threading.Event, retry_delay: float):
        self._producer = producer
        self._stop = stop
        self._retry_delay = retry_delay
        self._delivery_errors: list[tuple[Outgoing, KafkaError]] = []

    def prepare(self) -> None:
        """Called once before the first batch."""

    def stuck(self) -> bool:
        """Whether a call into the producer has hung past every timeout."""
        return False

    def deliver(self, pending: list[Outgoing], offsets, group_metadata) -> Outcome:
        """Produce ``pending`` until Kafka has acknowledged each; STOPPED if
        asked to stop first. Only what Kafka refused is produced again
        (with backoff), so nothing acknowledged is duplicated; a dead
        letter refused for what it is goes again at once in its minimal
        form. ``offsets`` and ``group_metadata`` are not used."""
        backoff = self._backoff()
        while True:
            refused = self._produce_all(pending)
            if refused is None:
                return Outcome.STOPPED
            pending, transient = next_attempt(refused)
            if not pending:
                return Outcome.ACKNOWLEDGED
            if not transient:
                continue  # only minimal dead letters: no need to wait
            if backoff.pause_after(refused_reason(transient), "producing again"):
                return Outcome.STOPPED

    def close(self) -> None:
        self._producer.flush(10.0)

    def _backoff(self, *, initial: float | None = None, maximum: float = 30.0):
        """A fresh backoff for one batch (or one call), cut short by
        ``stop``."""
        return Backoff(
            initial=self._retry_delay if initial is None else initial,
            maximum=maximum,
            wait=self._stop.wait,
        )

    def _produce_all(self, pending: list[Outgoing]):
        """Produce ``pending`` and wait for Kafka: the ``(message, error)``
        pairs it refused, or None if asked to stop while waiting."""
        refused: list[tuple[Outgoing, KafkaError]] = []
        for outgoing in pending:
            error = self._produce(outgoing)
            if error is not None:
                refused.append((outgoing, error))
        delivery_errors = self._wait_for_delivery()
        if delivery_errors is None:
            return None
        return refused + delivery_errors

    def _produce(self, outgoing: Outgoing) -> KafkaError | None:
        """Hand one message to the producer; the error if it refused it at
        once (too large, say). A fatal error stops the detector: the
        producer is unusable."""
        try:
            produce_when_room(
                self._producer,
                outgoing.topic,
                key=outgoing.key,
                value=outgoing.value,
                headers=outgoing.headers,
                on_delivery=functools.partial(self._on_delivery, outgoing),
            )
        except KafkaException as exception:
            error = exception.args[0]
            if isinstance(error, KafkaError) and is_fatal(error):
                raise KafkaClientFailed(f"producer: {error.str()}") from exception
            return error
        return None

    def _on_delivery(self, outgoing: Outgoing, error, _message) -> None:
        if error is not None:
            self._delivery_errors.append((outgoing, error))

    def _wait_for_delivery(self) -> list[tuple[Outgoing, KafkaError]] | None:
        """Wait for every produced message; the refused ones with their
        errors, or None if asked to stop while some were still in flight."""
        while self._producer.flush(1.0) > 0:
            if self._stop.is_set():
                return None
        errors, self._delivery_errors = self._delivery_errors, []
        return errors


class TransactionalDelivery(Delivery):
    """Exactly-once for ``read_committed`` readers: the batch's messages
    and offsets in one transaction. The producer must have a
    ``transactional.id``; ``prepare`` fences any older producer with that
    id and aborts its open transaction."""

    def __init__(self, producer, *, stop: threading.Event, retry_delay: float):
        super().__init__(producer, stop=stop, retry_delay=retry_delay)
        self._open = False
        self._call_started: float | None = None

    def stuck(self) -> bool:
        started = self._call_started
        return started is not None and time.monotonic() - started > STUCK_AFTER

    def prepare(self) -> None:
        """Register the transactional id, waiting while no broker answers
        (returns if asked to stop meanwhile)."""
        try:
            self._call(
                lambda: self._producer.init_transactions(TRANSACTION_CALL_TIMEOUT)
            )
        except _Stopped:
            pass

    def deliver(self, pending: list[Outgoing], offsets, group_metadata) -> Outcome:
        """COMMITTED once the messages and ``offsets`` (for the group of
        ``group_metadata``) are committed together; DROPPED, aborted, when
        the group refuses the offsets because the partitions moved on;
        STOPPED, aborted, if asked to stop first. An abortable error aborts
        and produces the whole batch again after a backoff; a fatal one
        raises ``KafkaClientFailed`` with nothing committed."""
        backoff = self._backoff()
        while True:
            try:
                return self._attempt(pending, offsets, group_metadata)
            except _Stopped:
                self._abort()
                return Outcome.STOPPED
            except _Refused as refused:
                self._abort()
                pending, transient = replace_refused(pending, refused.pairs)
                if not transient:
                    continue  # only minimal dead letters: no need to wait
                reason = refused_reason(transient)
            except KafkaException as exception:
                error = self._not_fatal(exception)
                self._abort()
                if error.code() in GROUP_REFUSED:
                    logger.warning(
                        "the group refused the batch's offsets (%s): its "
                        "partitions moved on; left to their new owner",
                        error.str(),
                    )
                    return Outcome.DROPPED
                reason = f"transaction aborted ({error.str()})"
            if backoff.pause_after(reason, "producing again"):
                return Outcome.STOPPED

    def close(self) -> None:
        """Abort a transaction left open (nothing of it becomes visible),
        then flush."""
        if self._open:
            self._producer.abort_transaction(TRANSACTION_CALL_TIMEOUT)
            self._open = False
        super().close()

    def _attempt(self, pending, offsets, group_metadata) -> Outcome:
        self._call(self._producer.begin_transaction, give_up_after=STUCK_AFTER)
        self._open = True
        refused = self._produce_all(pending)
        if refused is None:
            raise _Stopped
        if refused:
            raise _Refused(refused)
        self._call(
            lambda: self._producer.send_offsets_to_transaction(
                offsets, group_metadata, TRANSACTION_CALL_TIMEOUT
            ),
            give_up_after=STUCK_AFTER,
        )
        self._call(
            lambda: self._producer.commit_transaction(TRANSACTION_CALL_TIMEOUT),
            give_up_after=STUCK_AFTER,
        )
        self._open = False
        return Outcome.COMMITTED

    def _abort(self) -> None:
        if self._open:
            self._call(
                lambda: self._producer.abort_transaction(TRANSACTION_CALL_TIMEOUT),
                stoppable=False,
                give_up_after=STUCK_AFTER,
            )
            self._open = False

    def _call(
        self,
        call: Callable[[], object],
        *,
        stoppable: bool = True,
        give_up_after: float | None = None,
    ) -> None:
        """Make one transactional call, again while Kafka calls its error
        retriable (a coordinator moving, a timeout). Raises ``_Stopped`` if
        asked to stop between attempts, ``KafkaClientFailed`` on a fatal
        error or when it still fails retriably ``give_up_after`` seconds
        after the first attempt (seen after a broker restart: a request to
        the transaction coordinator that times out for ever; new clients
        get past it), and the ``KafkaException`` of any other error. Polls
        between attempts, so that the error callback reports refused
        credentials (``KafkaSecurityError``) instead of a timeout retried
        for ever."""
        backoff = self._backoff(initial=min(self._retry_delay, 0.5), maximum=5.0)
        first = time.monotonic()
        while True:
            self._call_started = time.monotonic()
            try:
                call()
                return
            except KafkaException as exception:
                error = self._not_fatal(exception)
                if not error.retriable() or error.txn_requires_abort():
                    raise
                if give_up_after is not None and (
                    time.monotonic() - first > give_up_after
                ):
                    raise KafkaClientFailed(
                        "transactional producer: a call keeps failing after "
                        f"{give_up_after:.0f} s ({error.str()})"
                    ) from exception
                logger.warning("transactional call failed (%s); again", error.str())
            finally:
                self._call_started = None
            self._producer.poll(0)
            if backoff.pause() and stoppable:
                raise _Stopped

    @staticmethod
    def _not_fatal(exception: KafkaException) -> KafkaError:
        """The error in ``exception``; raises ``KafkaClientFailed`` when the
        producer is dead (fenced by a newer producer with its
        transactional id, or out of sequence)."""
        error = exception.args[0]
        if error.fatal():
            raise KafkaClientFailed(
                f"transactional producer: {error.str()}"
            ) from exception
        return error


class _Refused(Exception):
    """Kafka refused some of a transaction's messages."""

    def __init__(self, pairs: list[tuple[Outgoing, KafkaError]]) -> None:
        super().__init__(refused_reason(pairs))
        self.pairs = pairs


def replace_refused(
    pending: list[Outgoing], refused: list[tuple[Outgoing, object]]
) -> tuple[list[Outgoing], list]:
    """The whole batch to produce again after an abort, in order, with each
    message Kafka refused for what it is replaced by its minimal form (or
    left out, when that was refused too); and the refusals that call for a
    backoff first."""
    again: dict[int, list[Outgoing]] = {}
    transient = []
    for pair in refused:
        replacement, backoff = next_attempt([pair])
        again[id(pair[0])] = replacement
        transient.extend(backoff)
    batch = [new for old in pending for new in again.get(id(old), [old])]
    return batch, transient


def refused_reason(refused: list[tuple[Outgoing, object]]) -> str:
    shown = "; ".join(f"{outgoing.topic}: {error}" for outgoing, error in refused[:3])
    return f"Kafka refused {len(refused)} messages ({shown})"
