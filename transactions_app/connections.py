"""The connections the platform's settings describe (Kafka, Redis), and
how the commands fail when Kafka refuses its."""

from collections.abc import Iterator
from contextlib import contextmanager

import redis
from django.conf import settings
from django.core.management.base import CommandError

from .streaming.kafka import (
    KafkaClientFailed,
    KafkaConnection,
    KafkaSecurityError,
    KafkaUnavailable,
    verify_connection,
)


def kafka_connection() -> KafkaConnection:
    """``KAFKA_BOOTSTRAP_SERVERS`` with the security settings (see
    ``fraudsite.kafka_security``): what every client is built from."""
    return KafkaConnection(
        bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
        security=settings.KAFKA_SECURITY,
    )


def verify_configured_connection() -> None:
    """Wait up to ``KAFKA_STARTUP_TIMEOUT`` for a broker to answer the
    configured connection; raises ``KafkaSecurityError`` or
    ``KafkaUnavailable`` otherwise."""
    verify_connection(kafka_connection(), timeout=settings.KAFKA_STARTUP_TIMEOUT)


@contextmanager
def kafka_failures_end_the_command() -> Iterator[None]:
    """Turn refused credentials, a failed TLS handshake, brokers that
    never answered or clients that kept dying into a ``CommandError``: the
    command exits non-zero with the message instead of retrying for ever
    or printing a traceback."""
    try:
        yield
    except (KafkaSecurityError, KafkaUnavailable, KafkaClientFailed) as error:
        raise CommandError(str(error)) from error


def check_redis(*, timeout: float = 2.0) -> None:
    """Ping ``REDIS_URL``; raises when it does not answer within
    ``timeout`` seconds."""
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout
    )
    try:
        client.ping()
    finally:
        client.close()
