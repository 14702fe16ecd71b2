"""The shared receivers' feed against a real broker: it reads every
detector's payments up to the end the brokers have, its own skipped, and
reaches that end past an exactly-once producer's commit markers instead of
waiting out its time limit."""

import logging
import uuid

import pytest

from tests.streaming.outages import wait_until
from transactions_app.connections import kafka_connection
from transactions_app.detection import ReceivedPayment
from transactions_app.streaming.codec import RECEIVED_ORIGIN_HEADER, encode_received
from transactions_app.streaming.kafka import (
    TopicSpec,
    create_admin,
    create_consumer,
    create_producer,
    ensure_topics,
)
from transactions_app.streaming.receivers import ReceiverFeed, feed_consumer_config

pytestmark = pytest.mark.integration


def payment(n: int, origin: str) -> ReceivedPayment:
    return ReceivedPayment(
        f"shop{n}", f"card{n}", 1.0e9 + n, n + 1, True, 9.5, "EUR", origin
    )


@pytest.fixture
def topic():
    name = f"test.feed.{uuid.uuid4().hex[:10]}"
    admin = create_admin(connection=kafka_connection())
    ensure_topics(admin, [TopicSpec(name, 3)], timeout=30)
    yield name
    admin.delete_topics([name], operation_timeout=30)


def feed(topic: str, *, skip: str | None = None, timeout: float = 30.0) -> ReceiverFeed:
    connection = kafka_connection()
    group = f"{topic}.group"
    return ReceiverFeed(
        create_consumer(
            connection=connection, group_id=group, **feed_consumer_config(group)
        ),
        create_admin(connection=connection),
        topic,
        lookback=3600,
        skip_origin=skip,
        catch_up_timeout=timeout,
    )


def tell(producer, topic: str, origin: str, payments) -> None:
    producer.produce(
        topic,
        key=origin.encode(),
        value=encode_received(payments, origin),
        headers=[(RECEIVED_ORIGIN_HEADER, origin.encode())],
    )


def test_every_detectors_payments_but_its_own_are_read(topic):
    producer = create_producer(connection=kafka_connection())
    mine, theirs = [payment(0, "me")], [payment(n, "them") for n in range(1, 4)]
    reader = feed(topic, skip="me")
    reader.start()
    tell(producer, topic, "me", mine)
    tell(producer, topic, "them", theirs)
    assert producer.flush(30) == 0
    try:
        assert reader.drain() == theirs
        assert reader.drain() == []
    finally:
        reader.close()


def test_commit_markers_do_not_hold_the_drain_back(topic, kafka, caplog):
    """Each exactly-once batch ends with a commit marker on its partition:
    an offset that is never delivered. The drain still ends at once, at
    the end, not at its (here 30 s) time limit with a warning."""
    connection = kafka_connection()
    producer = create_producer(connection=connection, transactional_id=topic)
    producer.init_transactions(30)
    reader = feed(topic)
    reader.start()
    for batch in range(3):
        producer.begin_transaction()
        tell(producer, topic, "them", [payment(batch, "them")])
        producer.commit_transaction(30)
    # The coordinator writes the last marker after the commit returns.
    wait_until(
        lambda: sum(kafka.end_offsets(topic, 3).values()) == 6,
        30,
        "three messages and three commit markers",
    )
    try:
        with caplog.at_level(logging.WARNING):
            read = reader.drain()
        assert sorted(p.key for p in read) == [1, 2, 3]
        assert "not caught up" not in caplog.text
    finally:
        reader.close()
