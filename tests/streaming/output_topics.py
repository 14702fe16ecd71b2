"""Reading what the detector routed, as a downstream consumer would."""

import time
import uuid
from collections import Counter

from confluent_kafka import Consumer, IsolationLevel, KafkaError, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

# A killed producer's open transaction holds read_committed readers back
# until the broker aborts it (after TRANSACTION_TIMEOUT_MS, 30 s).
OPEN_TRANSACTION_PATIENCE = 120.0


def read_to_end(
    config: dict,
    topic: str,
    *,
    partitions: int = 1,
    isolation: str = "read_committed",
) -> list:
    """Every message of ``topic`` up to the end of each partition as it is
    now, read as a ``read_committed`` consumer (or ``read_uncommitted``,
    which also sees aborted transactions): ends at the partition-end event
    of each partition, never at an idle timeout."""
    consumer = Consumer(
        config
        | {
            "group.id": f"test-output-{uuid.uuid4().hex}",
            "isolation.level": isolation,
            "enable.partition.eof": True,
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    at_end: set[int] = set()
    messages = []
    try:
        while len(at_end) < partitions:
            message = consumer.poll(30)
            assert message is not None, f"{topic}: no end of partition in 30 s"
            error = message.error()
            if error is None:
                messages.append(message)
            elif error.code() == KafkaError._PARTITION_EOF:
                at_end.add(message.partition())
            else:
                raise AssertionError(f"{topic}: {error}")
        return messages
    finally:
        consumer.close()


def wait_until_no_transaction_is_open(config: dict, topic: str) -> None:
    """Until ``topic``'s last stable offset is its end: a transaction left
    open by a producer that was killed ends when the broker aborts it, and
    until then a ``read_committed`` reader stops before it. An event (an
    offset), not a pause; ``OPEN_TRANSACTION_PATIENCE`` bounds a failure."""
    admin = AdminClient({k: v for k, v in config.items() if k != "group.id"})
    partition = TopicPartition(topic, 0)
    deadline = time.monotonic() + OPEN_TRANSACTION_PATIENCE
    while True:
        ends = [
            admin.list_offsets({partition: OffsetSpec.latest()}, isolation_level=level)
            for level in (
                IsolationLevel.READ_COMMITTED,
                IsolationLevel.READ_UNCOMMITTED,
            )
        ]
        stable, end = (future[partition].result().offset for future in ends)
        if stable >= end:
            return
        assert time.monotonic() < deadline, f"{topic}: a transaction is still open"
        time.sleep(0.2)


def routed_counts(config: dict, topics, *, isolation="read_committed") -> Counter:
    """How many results each transaction id has on the legit and fraud
    topics together, for a reader with ``isolation`` (a ``read_committed``
    one once no transaction is open on them)."""
    counts: Counter = Counter()
    if isolation == "read_committed":
        for topic in (topics.legit, topics.fraud):
            wait_until_no_transaction_is_open(config, topic)
    for topic in (topics.legit, topics.fraud):
        for message in read_to_end(config, topic, isolation=isolation):
            counts[message.key().decode()] += 1
    return counts
