"""Receivers shared by every detector: each detector produces the payments
it recorded to the receivers topic, keyed by receiver, with its batch's
results, and reads every partition of that topic back (all detectors'
payments, its own too), so a receiver's state (its fan-in window, age and
count) holds the payments of every input partition however many detectors
split them. This is Kafka Streams' global table, for the one piece of
state the input's keying by payer does not put in one place.

Before each batch the detector reads the topic up to the end it has at that
moment, so a payment another detector produced before this batch was
consumed is in the receiver's state when the batch is judged. The topic is
read uncommitted: a payment of an aborted exactly-once batch is the same
payment its new owner produces again (same transaction, same key), and the
engine records each key once.
"""

import logging
import time
import uuid
from collections.abc import Callable

from confluent_kafka import IsolationLevel, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import OffsetSpec

from ..detection import ReceivedPayment
from .codec import RECEIVED_ORIGIN_HEADER, InvalidMessage, decode_received

logger = logging.getLogger(__name__)

# What the brokers answer for a partition whose leader is not elected yet.
LEADERLESS = frozenset(
    {
        KafkaError.NOT_LEADER_FOR_PARTITION,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.UNKNOWN_TOPIC_OR_PART,
    }
)

# How long a drain may take before the batch is judged with what was read.
CATCH_UP_TIMEOUT = 2.0
# How long one consume of a drain waits: librdkafka's consume returns at
# its timeout unless the whole count has come, so a long one would be
# waited out before every batch (50 ms measured it: a third of the
# latency at 1,000 tx/s); the drain loops until the end instead.
DRAIN_POLL_SECONDS = 0.002


def feed_consumer_config(group_id: str) -> dict:
    """The feed's consumer settings beyond the connection: a group of its
    own that never commits (every detector reads everything, from a point
    in time), reading uncommitted."""
    return {
        "group.id": f"{group_id}.receivers.{uuid.uuid4().hex[:12]}",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "isolation.level": "read_uncommitted",
        "enable.partition.eof": False,
        "queued.max.messages.kbytes": 16384,
    }


class ReceiverFeed:
    """Reads the receivers topic, every partition, from ``lookback``
    seconds ago (Kafka time) on: ``start`` once, then ``drain`` before each
    batch for the payments produced since; messages marked with
    ``skip_origin`` (this detector's own) are not even decoded. A broker
    that cannot be reached
    is logged and the batch judged with what was read: detection never
    waits on the feed for longer than ``catch_up_timeout``."""

    def __init__(
        self,
        consumer,
        admin,
        topic: str,
        *,
        lookback: float,
        skip_origin: str | None = None,
        catch_up_timeout: float = CATCH_UP_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._consumer = consumer
        self._admin = admin  # asks for the ends on a connection of its own
        self._topic = topic
        self._lookback = lookback
        self._skip = (
            (RECEIVED_ORIGIN_HEADER, skip_origin.encode()) if skip_origin else None
        )
        self._catch_up_timeout = catch_up_timeout
        self._clock = clock
        self._wall_clock = wall_clock
        self._positions: dict[int, int] = {}

    def start(self) -> None:
        """Assign every partition of the topic at the first message of the
        last ``lookback`` seconds (the end where there is none)."""
        metadata = self._consumer.list_topics(self._topic, timeout=10)
        partitions = sorted(metadata.topics[self._topic].partitions)
        since = int((self._wall_clock() - self._lookback) * 1000)
        wanted = [TopicPartition(self._topic, p, since) for p in partitions]
        found = self._once_led(
            lambda: self._consumer.offsets_for_times(wanted, timeout=10)
        )
        ends = self._once_led(lambda: self._ends(partitions))
        assignment = []
        for tp in found:
            offset = tp.offset
            if offset < 0:  # nothing that recent: start at the end
                offset = ends[tp.partition]
            self._positions[tp.partition] = offset
            assignment.append(TopicPartition(self._topic, tp.partition, offset))
        self._consumer.assign(assignment)
        logger.info(
            "reading shared receivers from %s at %s",
            self._topic,
            {tp.partition: tp.offset for tp in assignment},
        )

    def drain(self) -> list[ReceivedPayment]:
        """The payments on the topic that were not read yet, up to its end
        as the brokers have it now."""
        try:
            ends = self._ends(self._positions)
        except KafkaException as error:
            logger.warning("cannot read the shared receivers' end (%s)", error)
            return []
        payments = []
        deadline = self._clock() + self._catch_up_timeout
        while any(self._positions[p] < end for p, end in ends.items()):
            if self._clock() > deadline:
                logger.warning(
                    "shared receivers not caught up within %.1f s: judging "
                    "with what was read",
                    self._catch_up_timeout,
                )
                break
            for message in self._consumer.consume(10_000, DRAIN_POLL_SECONDS):
                self._read(message, payments)
            self._advance_past_markers()
        return payments

    def _advance_past_markers(self) -> None:
        """Take the consumer's own positions where they are further: an
        exactly-once producer's commit markers take offsets that no
        message is delivered for, so the last message read is not the end."""
        tps = [TopicPartition(self._topic, p) for p in self._positions]
        for tp in self._consumer.position(tps):
            if tp.offset > self._positions[tp.partition]:
                self._positions[tp.partition] = tp.offset

    def close(self) -> None:
        self._consumer.close()

    def _read(self, message, payments: list) -> None:
        if message.error() is not None:
            logger.warning("shared receivers: %s", message.error())
            return
        self._positions[message.partition()] = message.offset() + 1
        if self._skip is not None and self._skip in (message.headers() or ()):
            return  # this detector's own payments, recorded already
        try:
            payments.extend(decode_received(message.value()))
        except InvalidMessage as error:
            logger.warning(
                "skipping a bad shared-receiver message at %s[%d]@%d: %s",
                self._topic,
                message.partition(),
                message.offset(),
                error,
            )

    def _once_led(self, ask, patience: float = 30.0):
        """``ask()``, asked again while a partition has no leader yet (a
        topic just created, a broker just restarted), for ``patience``
        seconds at most."""
        deadline = self._clock() + patience
        while True:
            try:
                return ask()
            except KafkaException as error:
                kafka_error = error.args[0]
                leaderless = kafka_error.code() in LEADERLESS
                if not (leaderless or kafka_error.retriable()):
                    raise
                if self._clock() > deadline:
                    raise
                logger.info("shared receivers' partitions not led yet (%s)", error)
                time.sleep(0.2)

    def _ends(self, partitions) -> dict[int, int]:
        """Each partition's end offset, from the brokers, in one request
        through the admin client: the consumer's own connection would
        answer only after its pending fetch (up to half a second)."""
        latest = OffsetSpec.latest()
        futures = self._admin.list_offsets(
            {TopicPartition(self._topic, p): latest for p in partitions},
            isolation_level=IsolationLevel.READ_UNCOMMITTED,
            request_timeout=5,
        )
        return {tp.partition: future.result().offset for tp, future in futures.items()}
