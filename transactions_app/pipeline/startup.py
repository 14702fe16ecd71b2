"""What ``rundetector`` checks before it consumes: Kafka answers, Redis
answers, and every topic it reads or writes exists.

Without these checks a detector started against a wrong ``REDIS_URL``
classifies while alerts and the live feed are silently dropped, and one
started before ``createtopics`` idles silently. Each failure ends the
command with a message naming the variable to fix.
"""

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import CommandError

from ..connections import check_redis, kafka_connection, verify_configured_connection
from ..streaming.kafka import create_admin

# The setting that names each topic the detector uses.
TOPIC_SETTINGS = (
    "TRANSACTIONS_TOPIC",
    "LEGIT_TOPIC",
    "FRAUD_TOPIC",
    "DEADLETTER_TOPIC",
)


def verify_detector_startup() -> None:
    """Return once Kafka and Redis answer and the topics exist; raise
    ``CommandError`` naming the variable otherwise (Kafka's own failures
    are raised as by ``verify_configured_connection``)."""
    verify_configured_connection()
    verify_redis(timeout=settings.REDIS_STARTUP_TIMEOUT)
    verify_topics(timeout=settings.KAFKA_STARTUP_TIMEOUT)


def verify_redis(*, timeout: float) -> None:
    """Ping ``REDIS_URL`` (as ``/healthz`` does) until it answers, for at
    most ``timeout`` seconds: Redis may still be starting."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        try:
            check_redis(timeout=max(0.1, min(2.0, remaining)))
            return
        except Exception as error:  # noqa: BLE001 - any failure: no answer
            if time.monotonic() >= deadline:
                raise CommandError(
                    f"no answer from Redis at {_redis_address()} within "
                    f"{timeout:g} s ({error}); check REDIS_URL (alerts and the "
                    "live feed go through it)"
                ) from error
        time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))


def verify_topics(*, timeout: float) -> None:
    """Raise ``CommandError`` naming each topic setting whose topic the
    broker does not have."""
    admin = create_admin(connection=kafka_connection())
    listed = admin.list_topics(timeout=timeout).topics
    missing = [
        f"{name}={getattr(settings, name)}"
        for name in TOPIC_SETTINGS
        if getattr(settings, name) not in listed
        or listed[getattr(settings, name)].error is not None
    ]
    if missing:
        raise CommandError(
            f"Kafka at {settings.KAFKA_BOOTSTRAP_SERVERS} has no topic "
            f"{', '.join(missing)}; create the topics with "
            "`python manage.py createtopics` (they are not created "
            "automatically), or correct the setting"
        )


def _redis_address() -> str:
    """Where ``REDIS_URL`` points, without its password."""
    parts = urlsplit(settings.REDIS_URL)
    if parts.scheme == "unix":
        return parts.path
    return f"{parts.hostname}:{parts.port or 6379}"
