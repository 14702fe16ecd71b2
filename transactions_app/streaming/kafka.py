"""A thin adapter over confluent-kafka: client construction and topics.

Only this module and the loops that are handed its clients know about
Kafka. Configuration comes in as plain values so the functions can be used
from commands, tests and benchmarks alike.
"""

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from confluent_kafka import Consumer, KafkaException, Message, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from .codec import MessageOrigin

logger = logging.getLogger(__name__)

# The brokers accept messages up to 2 MiB (message.max.bytes); producers
# match, so an oversized input can still be forwarded as a dead letter.
MAX_MESSAGE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic the platform needs: its name and partition count."""

    name: str
    partitions: int = 1
    replication_factor: int = 1


def common_config(bootstrap_servers: str) -> dict:
    """Settings shared by every client: where the brokers are."""
    return {"bootstrap.servers": bootstrap_servers}


def create_consumer(
    *,
    bootstrap_servers: str,
    group_id: str,
    instance_id: str | None = None,
    **overrides,
) -> Consumer:
    """A consumer that never commits on its own.

    Offsets are committed explicitly by the caller after the work for a
    batch is durable; a fresh group starts from the earliest message so
    nothing written before the first detector started is skipped. A member
    that died without leaving the group holds its partitions until its
    session times out, so the timeout is 10 s rather than Kafka's 45 s.
    With ``instance_id`` (static membership) a restarted member takes its
    partitions back at once, without waiting for that timeout.
    """
    config = common_config(bootstrap_servers) | {
        "group.id": group_id,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
        "session.timeout.ms": 10000,
        "heartbeat.interval.ms": 2000,
    }
    if instance_id:
        config["group.instance.id"] = instance_id
    return Consumer(config | overrides)


def create_producer(*, bootstrap_servers: str, **overrides) -> Producer:
    """An idempotent producer: retries never duplicate or reorder within a
    partition, and a message is acknowledged by all in-sync replicas."""
    config = common_config(bootstrap_servers) | {
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "compression.type": "lz4",
        "message.max.bytes": MAX_MESSAGE_BYTES,
    }
    return Producer(config | overrides)


def create_admin(*, bootstrap_servers: str) -> AdminClient:
    return AdminClient(common_config(bootstrap_servers))


def ensure_topics(
    admin: AdminClient, specs: Iterable[TopicSpec], *, timeout: float = 30.0
) -> list[str]:
    """Create the topics that do not exist yet; return the names created.

    Existing topics are left as they are (a partition count is never
    lowered), so this is safe to run on every start.
    """
    existing = set(admin.list_topics(timeout=timeout).topics)
    missing = [spec for spec in specs if spec.name not in existing]
    if not missing:
        return []
    futures = admin.create_topics(
        [NewTopic(s.name, s.partitions, s.replication_factor) for s in missing],
        operation_timeout=timeout,
        request_timeout=timeout,
    )
    created = []
    for name, future in futures.items():
        try:
            future.result()
            created.append(name)
        except KafkaException as error:
            if error.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise
    _wait_until_listed(admin, [spec.name for spec in missing], timeout=timeout)
    return created


def _wait_until_listed(admin: AdminClient, names: list[str], *, timeout: float):
    """Creation is acknowledged before every broker's metadata shows the
    topic; wait for it so that clients started next find it."""
    deadline = time.monotonic() + timeout
    while True:
        listed = admin.list_topics(timeout=timeout).topics
        if all(name in listed and not listed[name].error for name in names):
            return
        if time.monotonic() > deadline:
            raise KafkaException(f"topics not visible after {timeout} s: {names}")
        time.sleep(0.1)


def message_origin(message: Message) -> MessageOrigin:
    """Where a consumed message came from, with its Kafka timestamp."""
    _kind, millis = message.timestamp()
    try:
        sent_at = datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        sent_at = None  # no usable Kafka timestamp
    if sent_at is None or millis < 0:
        sent_at = datetime.now(UTC)
    return MessageOrigin(
        topic=message.topic(),
        partition=message.partition(),
        offset=message.offset(),
        timestamp=sent_at,
        key=message.key(),
        value=message.value(),
        headers=tuple(message.headers() or ()),
    )
