"""A thin adapter over confluent-kafka: client construction and topics.

Only this module and the loops that are handed its clients know about
Kafka. Configuration comes in as plain values so the functions can be used
from commands, tests and benchmarks alike.
"""

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from .codec import MessageOrigin
from .records import RejectedMessage

logger = logging.getLogger(__name__)

# The brokers accept messages up to 2 MiB (message.max.bytes); producers
# match, so an oversized input can still be forwarded as a dead letter.
MAX_MESSAGE_BYTES = 2 * 1024 * 1024

# A detector's transaction normally lasts well under a second (produce,
# acknowledge, commit); one left open by a detector killed for good holds
# read_committed readers until the broker aborts it after this long. Half
# librdkafka's default, and still above a broker outage of the kind the
# fault tests cause (a longer one ends in new clients: see the detector).
TRANSACTION_TIMEOUT_MS = 30_000


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic the platform needs: its name, partition count, replicas and
    how many of them must hold a write before it is acknowledged."""

    name: str
    partitions: int = 1
    replication_factor: int = 1
    min_insync_replicas: int = 1


@dataclass(frozen=True, slots=True)
class KafkaConnection:
    """Where the brokers are and how to authenticate to them: everything a
    client needs to connect, passed whole so that no client is built
    without the security settings. ``security`` holds librdkafka's
    ``security.protocol``, ``sasl.*`` and ``ssl.*`` settings (kept out of
    the repr: it may hold a password)."""

    bootstrap_servers: str
    security: Mapping[str, str] = field(default_factory=dict, repr=False)

    def config(self) -> dict:
        """Settings shared by every client."""
        return {
            "bootstrap.servers": self.bootstrap_servers,
            "error_cb": on_client_error,
            **self.security,
        }


class KafkaSecurityError(Exception):
    """The brokers refused this client's credentials or TLS handshake.

    Retrying cannot help, unlike a broker that is down, so the clients'
    error callback raises it out of the ``poll``/``consume``/``flush`` call
    that served the error, and the commands exit with its message.
    """


class KafkaUnavailable(Exception):
    """No broker answered within the start-up timeout."""


class KafkaClientFailed(Exception):
    """A client hit a fatal error and will never work again.

    librdkafka marks some errors fatal (a static member fenced by its own
    instance id after a long outage, an idempotent producer out of
    sequence): the client then stays alive but serves nothing. Whoever
    owns the client must close it and build a new one; the error callback
    and the detector loop raise this so that nobody waits on a dead client.
    """


# What a dead client reports: librdkafka's own fatal marker, and a static
# member fenced by its instance id (fatal in librdkafka, but reported on a
# commit before the marker arrives).
_FATAL_CODES = frozenset({KafkaError._FATAL, KafkaError.FENCED_INSTANCE_ID})


def is_fatal(error: KafkaError) -> bool:
    """True when the client that reported ``error`` is dead. confluent-kafka
    flags only some of them ``fatal()`` (never a consumed message's error),
    hence the codes too."""
    return error.fatal() or error.code() in _FATAL_CODES


# librdkafka reports a failed TLS handshake as a transport error; its text
# is the only sign that retrying will not help.
_TLS_FAILURE = "SSL handshake failed"


def security_failure(error: KafkaError) -> str | None:
    """What went wrong when ``error`` means refused credentials or a failed
    TLS handshake, else None (a broker down or unreachable is retried)."""
    code = error.code()
    if code in (KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED):
        return f"Kafka authentication failed: {error.str()}"
    if code == KafkaError._SSL or (
        code == KafkaError._TRANSPORT and _TLS_FAILURE in error.str()
    ):
        return f"Kafka TLS handshake failed: {error.str()}"
    return None


def on_client_error(error: KafkaError) -> None:
    """The ``error_cb`` of every client: raises ``KafkaSecurityError`` for
    a security failure and ``KafkaClientFailed`` for a fatal error, out of
    the call that served it; logs anything else (librdkafka retries it)."""
    failure = security_failure(error)
    if failure:
        raise KafkaSecurityError(failure)
    if is_fatal(error):
        raise KafkaClientFailed(error.str())
    logger.warning("kafka: %s", error.str())


def verify_connection(connection: KafkaConnection, *, timeout: float) -> None:
    """Return once a broker answers a metadata request.

    Raises ``KafkaSecurityError`` as soon as the brokers refuse the
    credentials or the TLS handshake, and ``KafkaUnavailable`` (with the
    last error seen) when no answer came within ``timeout`` seconds, e.g. a
    plain client talking to a SASL listener. Commands call it first, so a
    misconfiguration ends them with a message instead of a silent wait.
    """
    last_error: list[str] = []

    def remember(error: KafkaError) -> None:
        failure = security_failure(error)
        if failure:
            raise KafkaSecurityError(failure)
        if error.code() != KafkaError._ALL_BROKERS_DOWN:  # says less than the cause
            last_error[:] = [error.str()]

    admin = AdminClient(connection.config() | {"error_cb": remember})
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        try:
            admin.list_topics(timeout=max(0.1, min(1.0, remaining)))
            return
        except KafkaException as error:
            if not last_error:
                last_error.append(error.args[0].str())
        admin.poll(0)  # serves the error callback: may raise
        if time.monotonic() >= deadline:
            raise KafkaUnavailable(
                f"no answer from Kafka at {connection.bootstrap_servers} within "
                f"{timeout:g} s (last error: {last_error[0]}); check "
                "KAFKA_BOOTSTRAP_SERVERS and KAFKA_SECURITY_PROTOCOL"
            )


def create_consumer(
    *,
    connection: KafkaConnection,
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
    ``read_committed`` (librdkafka's default, set here so that it is
    visible) also makes the fetch of committed offsets wait for offsets
    still pending in a producer's open transaction, so a member taking
    partitions over never starts before an exactly-once commit settles.
    Offsets are stored only by the caller, once committed (``store_offsets``
    after either kind of commit), so that the statistics' stored lag
    (``consumer_lag_stored``) counts from what is committed, which a
    transactional commit through the producer would otherwise leave
    unknown to the consumer.
    """
    config = connection.config() | {
        "group.id": group_id,
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
        "session.timeout.ms": 10000,
        "heartbeat.interval.ms": 2000,
    }
    if instance_id:
        config["group.instance.id"] = instance_id
    return Consumer(config | overrides)


def create_producer(
    *,
    connection: KafkaConnection,
    transactional_id: str | None = None,
    **overrides,
) -> Producer:
    """An idempotent producer: retries never duplicate or reorder within a
    partition, and a message is acknowledged by all in-sync replicas.

    With ``transactional_id`` it is transactional (``init_transactions``
    before use): a newer producer with the same id fences this one and
    aborts its open transaction. A transaction left open by a producer
    that never comes back is aborted by the broker after
    ``TRANSACTION_TIMEOUT_MS``; until then ``read_committed`` readers of
    its partitions wait.
    """
    config = connection.config() | {
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "compression.type": "lz4",
        "message.max.bytes": MAX_MESSAGE_BYTES,
    }
    if transactional_id:
        config["transactional.id"] = transactional_id
        config["transaction.timeout.ms"] = TRANSACTION_TIMEOUT_MS
    return Producer(config | overrides)


def create_admin(*, connection: KafkaConnection, **overrides) -> AdminClient:
    return AdminClient(connection.config() | overrides)


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
        [
            NewTopic(
                s.name,
                s.partitions,
                s.replication_factor,
                config={"min.insync.replicas": str(s.min_insync_replicas)},
            )
            for s in missing
        ],
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


def partitions_of(admin: AdminClient, topic: str, *, timeout: float = 10.0) -> int:
    """How many partitions the broker says ``topic`` has."""
    return len(admin.list_topics(topic, timeout=timeout).topics[topic].partitions)


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


def produce_when_room(producer: Producer, topic: str, **message) -> None:
    """``producer.produce(topic, **message)``, waiting while the producer's
    local queue is full (``BufferError``) for acknowledgements to make
    room; then serve the delivery callbacks that are due. Other refusals
    (a message too large, a dead producer) raise ``KafkaException``."""
    while True:
        try:
            producer.produce(topic, **message)
            break
        except BufferError:
            producer.poll(0.05)  # queue full: let deliveries drain
    producer.poll(0)


def message_rejected(message: Message, error: str, received_at) -> RejectedMessage:
    """A consumed message as a dead letter, with why: built from the raw
    message, since what made it a dead letter may be that its origin (its
    timestamp, say) cannot be read."""
    return RejectedMessage(
        topic=message.topic(),
        partition=message.partition(),
        offset=message.offset(),
        key=message.key(),
        value=message.value(),
        headers=tuple(message.headers() or ()),
        error=error,
        received_at=received_at,
    )


def is_data(message: Message) -> bool:
    """True for a consumed message to process; False for an event to skip
    (logged unless it is the end of a partition). A fatal error, which
    would leave the consumer alive but serving nothing, raises
    ``KafkaClientFailed``."""
    error = message.error()
    if error is None:
        return True
    if is_fatal(error):
        raise KafkaClientFailed(f"consumer: {error.str()}")
    if error.code() != KafkaError._PARTITION_EOF:
        logger.warning("consumer error: %s", error)
    return False


def close_quietly(name: str, close: Callable[[], object]) -> None:
    """Close one client; a dead one may refuse, which is only logged so
    that the others are closed too and the error that stopped the caller
    is the one that propagates."""
    try:
        close()
    except (KafkaException, KafkaClientFailed) as error:
        logger.warning("closing the %s: %s", name, error)
