"""Event-time bounds against the real broker and a rundetector process:
the detector's own clock refuses what a writer's Kafka timestamp allows."""

import json
import time

import pytest
from confluent_kafka import Producer

from tests.streaming.detector_process import DetectorProcess
from transactions_app.models import DeadLetter, Transaction

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_rules"),
]

MESSAGE = {
    "source": "a1B2c3D4e5F6",
    "target": "Z9y8X7w6V5u4",
    "amount": 12.5,
    "currency": "EUR",
}
EPOCH_MILLIS = 1  # 1970-01-01T00:00:00.001Z as the Kafka timestamp


def wait_until_committed(kafka, group_id, topic, detector, timeout=120) -> None:
    """Until the group's offsets reach the end of every partition."""
    deadline = time.monotonic() + timeout
    while kafka.uncommitted(group_id, topic, 3):
        assert detector.process.poll() is None, detector.output
        assert time.monotonic() < deadline, detector.output
        time.sleep(0.2)


def test_a_1970_writer_is_dead_lettered_by_the_detectors_clock(
    settings, kafka_topics, kafka, group_id
):
    """A 1970 Kafka timestamp with a 1970 event time (or with none) is a
    dead letter measured against the detector's clock; a current message
    beside them is stored."""
    producer = Producer(kafka.config)
    epoch = MESSAGE | {"timestamp": "1970-01-01T00:00:00Z"}
    for value in (epoch, MESSAGE):  # the second takes the Kafka time: 1970
        producer.produce(
            kafka_topics.transactions,
            key=b"k",
            value=json.dumps(value).encode(),
            timestamp=EPOCH_MILLIS,
        )
    producer.produce(
        kafka_topics.transactions, key=b"k", value=json.dumps(MESSAGE).encode()
    )
    assert producer.flush(30) == 0

    detector = DetectorProcess(settings, "--group-id", group_id)
    try:
        wait_until_committed(kafka, group_id, kafka_topics.transactions, detector)
        assert detector.terminate() == 0, detector.output
    finally:
        detector.stop()

    assert Transaction.objects.count() == 1
    assert Transaction.objects.get().timestamp.year >= 2026
    errors = sorted(DeadLetter.objects.values_list("error", flat=True))
    assert len(errors) == 2, errors
    assert all("more than 366 days before now" in error for error in errors)
    assert any(error.startswith("the Kafka time") for error in errors)
