"""Replaying messages through Kafka and the real detector loop, to measure
what it decides (``manage.py evaluate``): produce them, then run a
``Detector`` that keeps each verdict instead of storing rows and stops once
it has read them all."""

from collections.abc import Iterable

from confluent_kafka import KafkaException

from ..detection import Verdict
from ..streaming.detector import Detector
from ..streaming.kafka import produce_when_room
from ..streaming.ports import Detection, DetectorTopics
from ..streaming.records import StoredBatch
from .datasets import DatasetMessage


class ReplayIncomplete(RuntimeError):
    """The detector stopped before it had read every message produced."""


def produce_messages(producer, topic: str, messages: Iterable[DatasetMessage]) -> int:
    """Write ``messages`` to ``topic`` keyed by source, as the platform's
    producers do; returns how many once Kafka acknowledged every one."""
    failures, sent = [], 0
    for message in messages:
        try:
            produce_when_room(
                producer,
                topic,
                key=message.key,
                value=message.value,
                on_delivery=lambda error, _m: error and failures.append(error),
            )
        except KafkaException as error:  # too large for the producer, say
            raise ReplayIncomplete(
                f"Kafka refused transaction {message.transaction_id}: "
                f"{error.args[0].str() if error.args else error}"
            ) from None
        sent += 1
    if producer.flush(60.0) or failures:
        raise ReplayIncomplete(f"Kafka did not accept every message: {failures[:3]}")
    return sent


def detect_all(
    *,
    consumer,
    producer,
    topics: DetectorTopics,
    detection: Detection,
    total: int,
    batch_size: int = 2000,
    event_times: dict[str, float] | None = None,
) -> dict[str, Verdict]:
    """Run a detector over the ``total`` messages on ``topics.transactions``
    and return its verdict for each transaction id; a message rejected to
    the dead-letter topic has none. It stops once it has judged them all
    (not after an idle spell, which a slow start on a busy machine would
    pass for the end). ``event_times``, when given, receives each judged
    transaction's event time (epoch seconds)."""
    verdicts: dict[str, Verdict] = {}
    read = [0]

    def keep(batch, dead):
        for item in batch:
            verdicts[str(item.transaction.transaction_id)] = item.verdict
            if event_times is not None:
                event_times[str(item.transaction.transaction_id)] = (
                    item.transaction.timestamp.timestamp()
                )
        read[0] += len(batch) + len(dead)
        if read[0] >= total:
            detector.signal_shutdown()  # this batch still completes
        return StoredBatch(new=list(batch), conflicts=[])

    detector = Detector(
        consumer=consumer,
        producer=producer,
        topics=topics,
        detection=detection,
        store=keep,
        broadcast=lambda rows: None,
        batch_size=batch_size,
    )
    detector.run()
    if read[0] < total:
        raise ReplayIncomplete(f"the detector stopped after {read[0]} of {total}")
    return verdicts
