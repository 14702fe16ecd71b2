"""Messages sent twice, against the real broker and a rundetector process:
stored once, and routed once."""

import json
import uuid

import pytest

from tests.streaming.detector_process import DetectorProcess
from tests.streaming.outages import wait_until_all_committed
from tests.streaming.output_topics import read_to_end
from transactions_app.models import Transaction

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_rules"),
]


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
        wait_until_all_committed(kafka, group_id, kafka_topics.transactions)
        kafka.produce(kafka_topics.transactions, [message], key=b"k")  # again
        wait_until_all_committed(kafka, group_id, kafka_topics.transactions)
        assert detector.terminate() == 0, detector.output
    finally:
        detector.stop()
    assert Transaction.objects.count() == 1
    routed = read_to_end(kafka.config, kafka_topics.fraud)
    assert [json.loads(m.value())["transaction_id"] for m in routed] == [
        message["transaction_id"]
    ]
