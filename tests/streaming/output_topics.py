"""Reading what the detector routed, as a downstream consumer would."""

import uuid
from collections import Counter

from confluent_kafka import Consumer, KafkaError, TopicPartition


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


def routed_counts(config: dict, topics, *, isolation="read_committed") -> Counter:
    """How many results each transaction id has on the legit and fraud
    topics together, for a reader with ``isolation``."""
    counts: Counter = Counter()
    for topic in (topics.legit, topics.fraud):
        for message in read_to_end(config, topic, isolation=isolation):
            counts[message.key().decode()] += 1
    return counts
