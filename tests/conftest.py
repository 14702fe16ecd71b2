"""Shared fixtures. Integration fixtures talk to the real services that
``make test`` starts (``make services``): Kafka, Redis and PostgreSQL."""

import json
import os
import threading
import time
import uuid
from contextlib import contextmanager

import pytest
from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)

from tests import properties  # noqa: F401  (registers the quick profile)
from tests.scoring.stream import model, rows  # noqa: F401  (a trained model)
from transactions_app.connections import kafka_connection
from transactions_app.pipeline.topics import detector_topics, topic_specs
from transactions_app.streaming.kafka import (
    KafkaConnection,
    create_admin,
    ensure_topics,
)


def pytest_configure(config):
    """The suite speaks plain http on loopback (the test client, daphne in
    the browser tests), so the redirect to https that production gets is off,
    here and in the processes the tests start; every other production setting
    stays in force. Settings are loaded before this hook runs, hence both."""
    from django.conf import settings

    os.environ["SECURE_SSL_REDIRECT"] = "false"
    settings.SECURE_SSL_REDIRECT = False
    settings.PASSWORD_HASHERS = [FAST_TEST_HASHER, *settings.PASSWORD_HASHERS]


# Users the tests create get this hasher: a production one costs about half
# a second a password by design, which was most of the database tests' time
# (Django's testing guide advises the same). It is prepended, so passwords
# hashed the production way still check; a process a test starts keeps only
# the production hashers, so users it logs in are created with
# ``tests.browser.live_page.production_password``.
FAST_TEST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(autouse=True)
def compilations_end_with_their_test():
    """A model's trees compile on a thread of their own (``scoring.compiled``);
    wait for the ones a test started, so that none logs into the next test's
    captured output, or into one already closed."""
    yield
    for thread in threading.enumerate():
        if thread.name == "compile-model":
            thread.join()


@pytest.fixture
def kafka_topics(settings):
    """Fresh, uniquely named platform topics for one test, deleted after."""
    topics = fresh_kafka_topics(settings)
    yield topics
    delete_kafka_topics()


def fresh_kafka_topics(settings):
    """Name fresh platform topics in ``settings`` (pytest-django's, undone
    after the test) and create them; the detector topics they make."""
    suffix = uuid.uuid4().hex[:10]
    settings.TRANSACTIONS_TOPIC = f"test.transactions.{suffix}"
    settings.LEGIT_TOPIC = f"test.legit.{suffix}"
    settings.FRAUD_TOPIC = f"test.fraud.{suffix}"
    settings.DEADLETTER_TOPIC = f"test.deadletter.{suffix}"
    settings.RECEIVERS_TOPIC = f"test.receivers.{suffix}"
    admin = create_admin(connection=kafka_connection())
    ensure_topics(admin, topic_specs(), timeout=30)
    return detector_topics()


def delete_kafka_topics() -> None:
    """Delete the topics the settings name now."""
    admin = create_admin(connection=kafka_connection())
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


# How long a question to the broker is asked again while its answer is a
# transient error (a partition whose leader is not known yet, a timeout on a
# loaded machine); it bounds a failure, never a wait.
TRANSIENT_ERRORS_FOR = 60.0


def retrying(call, *args, **kwargs):
    """``call(*args, **kwargs)``, asked again while Kafka answers with an
    error it marks retriable or a timeout."""
    deadline = time.monotonic() + TRANSIENT_ERRORS_FOR
    while True:
        try:
            return call(*args, **kwargs)
        except KafkaException as exception:
            error = exception.args[0]
            transient = error.retriable() or error.code() in (
                KafkaError._TIMED_OUT,
                KafkaError.NOT_LEADER_FOR_PARTITION,
                KafkaError.LEADER_NOT_AVAILABLE,
                KafkaError.UNKNOWN_TOPIC_OR_PART,
            )
            if not transient or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


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
        """Every message of ``topic`` from the start: returns once at least
        ``expected`` have arrived and the reader has reached the end of every
        partition, so that messages beyond ``expected`` (a duplicate) show.
        The end is the broker's word (partition EOF), not a quiet spell;
        ``timeout`` only bounds a failure."""
        consumer = self._consumer(
            {"enable.auto.commit": False, "enable.partition.eof": True}
        )
        partitions = set(
            consumer.list_topics(topic, timeout=10).topics[topic].partitions
        )
        consumer.assign(
            [TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions]
        )
        messages, at_end = [], set()
        deadline = time.monotonic() + timeout
        try:
            while len(messages) < expected or at_end != partitions:
                assert time.monotonic() < deadline, (
                    f"{topic}: {len(messages)} of {expected} messages in {timeout} s"
                )
                for message in consumer.consume(500, 0.2):
                    error = message.error()
                    if error is None:
                        messages.append(message)
                        at_end.discard(message.partition())
                    elif error.code() == KafkaError._PARTITION_EOF:
                        at_end.add(message.partition())
        finally:
            consumer.close()
        return messages

    @contextmanager
    def offsets(self, group_id: str, topic: str):
        """A reader of ``group_id``'s progress on ``topic`` (``uncommitted``)
        through one client, to be asked again and again while waiting."""
        consumer = Consumer(self.config | {"group.id": group_id})  # joins nothing
        try:
            yield GroupProgress(consumer, topic)
        finally:
            consumer.close()

    def wait_for_commit(self, group_id: str, topic: str, timeout: float = 120.0):
        """Wait until ``group_id`` has committed the end of every partition
        of ``topic`` (a detector commits a batch once it is stored, routed
        and acknowledged)."""
        deadline = time.monotonic() + timeout
        with self.offsets(group_id, topic) as progress:
            while behind := progress.uncommitted():
                assert time.monotonic() < deadline, f"not committed: {behind}"
                time.sleep(0.1)

    def _consumer(self, extra: dict) -> Consumer:
        group = f"test-reader-{uuid.uuid4().hex}"
        return Consumer(self.config | {"group.id": group} | extra)

    def committed(self, group_id: str, topic: str, partitions: int) -> dict:
        consumer = Consumer(self.config | {"group.id": group_id})
        offsets = retrying(
            consumer.committed,
            [TopicPartition(topic, p) for p in range(partitions)],
            timeout=10,
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
            p: retrying(
                consumer.get_watermark_offsets, TopicPartition(topic, p), timeout=10
            )[1]
            for p in range(partitions)
        }
        consumer.close()
        return ends


class GroupProgress:
    """How far a consumer group has committed on a topic, against the
    topic's end, read through a consumer of that group that never joins it
    (so it takes no partitions from the group's members)."""

    def __init__(self, consumer: Consumer, topic: str) -> None:
        self._consumer = consumer
        self._topic = topic
        metadata = retrying(consumer.list_topics, topic, timeout=10).topics[topic]
        self.partitions = sorted(metadata.partitions)

    def uncommitted(self) -> dict:
        """Partitions whose committed offset is behind the end, with the
        number of messages not committed (empty when all is committed)."""
        tps = [TopicPartition(self._topic, p) for p in self.partitions]
        committed = {
            tp.partition: max(tp.offset, 0)
            for tp in retrying(self._consumer.committed, tps, timeout=10)
        }
        behind = {}
        for tp in tps:
            end = retrying(self._consumer.get_watermark_offsets, tp, timeout=10)[1]
            if end > committed[tp.partition]:
                behind[tp.partition] = end - committed[tp.partition]
        return behind


@pytest.fixture
def kafka(settings):
    return KafkaHelper(kafka_connection())


@pytest.fixture
def managers(django_user_model):
    """Two members of the Rule manager group, alice and bob: one to write
    or train, the other to approve (four-eyes)."""
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="Rule manager")
    users = []
    for name in ("alice", "bob"):
        user = django_user_model.objects.create_user(name, password="x", is_staff=True)
        user.groups.add(group)
        users.append(user)
    return users


@pytest.fixture
def four_eyes(settings):
    """Four-eyes approval on, whatever the environment says."""
    settings.RULES_FOUR_EYES = True
