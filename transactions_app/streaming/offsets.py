"""The consumer's side of the offsets: where a batch ends, committing it
(at-least-once), telling the consumer what is committed, and reading
again from the committed offsets after a batch the group refused."""

import logging

from confluent_kafka import OFFSET_BEGINNING, KafkaException, TopicPartition

from .kafka import KafkaClientFailed, is_fatal

logger = logging.getLogger(__name__)


def next_offsets(messages) -> list[TopicPartition]:
    """The offsets to commit after ``messages``: one past the last message
    of each partition."""
    offsets: dict[tuple[str, int], int] = {}
    for message in messages:
        key = (message.topic(), message.partition())
        offsets[key] = max(offsets.get(key, 0), message.offset() + 1)
    return [TopicPartition(t, p, o) for (t, p), o in offsets.items()]


def commit_offsets(consumer, offsets: list[TopicPartition]) -> bool:
    """Commit ``offsets`` and wait; False when the group refused them (the
    partitions were lost in a rebalance: the new owner reads the batch
    again and storage skips what is already there). A fatal refusal (the
    member fenced) raises ``KafkaClientFailed``: this consumer is done."""
    try:
        consumer.commit(offsets=offsets, asynchronous=False)
    except KafkaException as error:
        if is_fatal(error.args[0]):
            raise KafkaClientFailed(f"offset commit: {error}") from error
        logger.warning("offset commit failed: %s", error)
        return False
    return True


def store_committed(consumer, offsets: list[TopicPartition]) -> None:
    """Store committed ``offsets`` in the consumer, so that its statistics
    count the lag from them (``metrics.partition_lag``): a transactional
    commit goes through the producer, unseen by the consumer. A partition
    revoked meanwhile is not stored: no loss, its next owner counts from
    the committed offsets."""
    try:
        consumer.store_offsets(offsets=offsets)
    except KafkaException as error:
        logger.debug("storing committed offsets: %s", error)


def rewind_to_committed(consumer, messages) -> None:
    """Seek the partitions of ``messages`` that are still assigned back to
    their committed offsets, so that what was consumed after a batch the
    group refused is read again, not skipped."""
    assigned = {(tp.topic, tp.partition) for tp in consumer.assignment()}
    owned = {(m.topic(), m.partition()) for m in messages} & assigned
    if not owned:
        return
    try:
        committed = consumer.committed(
            [TopicPartition(t, p) for t, p in sorted(owned)], timeout=30.0
        )
        for tp in committed:
            offset = tp.offset if tp.offset >= 0 else OFFSET_BEGINNING
            consumer.seek(TopicPartition(tp.topic, tp.partition, offset))
    except KafkaException as error:  # a rebalance will reset them anyway
        logger.warning("rewinding after a refused batch: %s", error)
    logger.info("read again from the committed offsets: %s", sorted(owned))
