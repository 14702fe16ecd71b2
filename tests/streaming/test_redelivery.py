"""Messages sent twice, against the real broker and a rundetector process:
stored once, and routed once."""

import json
import time
import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition

from tests.streaming.detector_process import DetectorProcess
from transactions_app.models import Transaction

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_rules"),
]


def read_to_end(kafka, topic: str) -> list:
    """Every message of partition 0 of ``topic``, up to its end offset
    (what is there now: nothing is waited for beyond it)."""
    consumer = Consumer(kafka.config | {"group.id": f"test-{uuid.uuid4().hex}"})
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), 10)
        consumer.assign([TopicPartition(topic, 0, low)])
        messages = []
        while high > low and (not messages or messages[-1].offset() < high - 1):
            message = consumer.poll(10)
            assert message is not None, f"{topic}: nothing more before {high}"
            if message.error() is None:
                messages.append(message)
        return messages
    finally:
        consumer.close()


def test_an_exact_redelivery_is_stored_once_and_routed_once(
    settings, kafka_topics, kafka, group_id
):
    """A producer that sends one transaction twice (same id, same content,
    two offsets) gets one row and one result on the output topic."""
    message = {
        "transaction_id": str(uuid.uuid4()),
        "source": "a1B2c3D4e5F6",
        "target": "Z9y8X7w6V5u4",
        "amount": 950.0,
        "currency": "EUR",
        "timestamp": "2026-11-30T10:00:00Z",
    }
    kafka.produce(kafka_topics.transactions, [message], key=b"k")
    detector = DetectorProcess(settings, "--group-id", group_id)
    try:
        wait_for(lambda: not kafka.uncommitted(group_id, kafka_topics.transactions, 3))
        kafka.produce(kafka_topics.transactions, [message], key=b"k")  # again
        wait_for(lambda: not kafka.uncommitted(group_id, kafka_topics.transactions, 3))
        assert detector.terminate() == 0, detector.output
    finally:
        detector.stop()
    assert Transaction.objects.count() == 1
    routed = read_to_end(kafka, kafka_topics.fraud)
    assert [json.loads(m.value())["transaction_id"] for m in routed] == [
        message["transaction_id"]
    ]


def wait_for(predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
