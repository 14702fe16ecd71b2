"""Shared fixtures. Integration fixtures talk to the real services that
``make test`` starts (``make services``): Kafka, Redis and PostgreSQL."""

import json
import os
import time
import uuid

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from transactions_app.streaming.connection import kafka_connection
from transactions_app.streaming.kafka import (
    KafkaConnection,
    create_admin,
    ensure_topics,
)
from transactions_app.streaming.topics import detector_topics, topic_specs


def pytest_configure(config):
    """The suite speaks plain http on loopback (the test client, daphne in
    the browser tests), so the redirect to https that production gets is off,
    here and in the processes the tests start; every other production setting
    stays in force. Settings are loaded before this hook runs, hence both."""
    from django.conf import settings

    os.environ["SECURE_SSL_REDIRECT"] = "false"
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def kafka_topics(settings):
    """Fresh, uniquely named platform topics for one test, deleted after."""
    suffix = uuid.uuid4().hex[:10]
    settings.TRANSACTIONS_TOPIC = f"test.transactions.{suffix}"
    settings.LEGIT_TOPIC = f"test.legit.{suffix}"
    settings.FRAUD_TOPIC = f"test.fraud.{suffix}"
    settings.DEADLETTER_TOPIC = f"test.deadletter.{suffix}"
    admin = create_admin(connection=kafka_connection())
    ensure_topics(admin, topic_specs(), timeout=30)
    topics = detector_topics()
    yield topics
    admin.delete_topics([spec.name for spec in topic_specs()], operation_timeout=30)


@pytest.fixture
def default_rules(db):
    """The default rule set, as the data migration installs it (tests with
    transaction=True empty every table between tests)."""
    from transactions_app.models import Rule, RuleVersion
    from transactions_app.rules.defaults import install_default_rules

    install_default_rules(Rule, RuleVersion)


@pytest.fixture
def group_id():
    return f"test-detector-{uuid.uuid4().hex[:10]}"


class KafkaHelper:
    """A plain confluent-kafka producer and reader, as any client would use,
    connected as the settings say (``config``)."""

    def __init__(self, connection: KafkaConnection) -> None:
        self.config = connection.config()

    def produce(self, topic: str, values, *, key: bytes | None = None) -> None:
        producer = Producer(self.config | {"message.max.bytes": 2**21})
        for value in values:
            if isinstance(value, dict):
                value = json.dumps(value).encode()
            producer.produce(topic, key=key, value=value)
        assert producer.flush(30) == 0

    def read(self, topic: str, *, expected: int, timeout: float = 30.0) -> list:
        """Every message of ``topic`` from the start; waits until at least
        ``expected`` have arrived or ``timeout`` passes, then reads on for a
        moment so extra messages would show."""
        consumer = Consumer(
            self.config
            | {
                "group.id": f"test-reader-{uuid.uuid4().hex}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        consumer.subscribe([topic])
        messages, idle_polls = [], 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            batch = consumer.consume(500, 0.5)
            messages.extend(m for m in batch if m.error() is None)
            if len(messages) >= expected:
                idle_polls = idle_polls + 1 if not batch else 0
                if idle_polls >= 2:
                    break
        consumer.close()
        return messages

    def committed(self, group_id: str, topic: str, partitions: int) -> dict:
        consumer = Consumer(self.config | {"group.id": group_id})
        offsets = consumer.committed(
            [TopicPartition(topic, p) for p in range(partitions)], timeout=10
        )
        consumer.close()
        return {tp.partition: tp.offset for tp in offsets}

    def uncommitted(self, group_id: str, topic: str, partitions: int) -> dict:
        """Partitions whose committed offset is behind the end, with the
        number of messages not committed (empty when all is committed)."""
        ends = self.end_offsets(topic, partitions)
        committed = self.committed(group_id, topic, partitions)
        return {
            p: end - max(committed[p], 0)
            for p, end in ends.items()
            if end > max(committed[p], 0)
        }

    def end_offsets(self, topic: str, partitions: int) -> dict:
        consumer = Consumer(self.config | {"group.id": "test-watermarks"})
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(partitions)
        }
        consumer.close()
        return ends


@pytest.fixture
def kafka(settings):
    return KafkaHelper(kafka_connection())
