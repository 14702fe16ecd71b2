"""rundetector refuses to start, naming the variable, when a topic it
needs is missing or Redis does not answer (real broker, real Redis on a
closed port)."""

import socket
import uuid

import pytest

from tests.streaming.detector_process import DetectorProcess

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

# Generous: the command should end within its start-up timeouts.
BOUND = 60


def finish(settings, **env) -> DetectorProcess:
    """A rundetector that would stop by itself after 5 idle seconds,
    waited for until it ends."""
    detector = DetectorProcess(settings, "--exit-when-idle", "5", **env)
    try:
        detector.process.wait(BOUND)
    finally:
        detector.stop()
    return detector


@pytest.mark.parametrize(
    "variable", ["TRANSACTIONS_TOPIC", "LEGIT_TOPIC", "FRAUD_TOPIC", "DEADLETTER_TOPIC"]
)
def test_a_missing_topic_ends_the_detector_naming_its_variable(
    settings, kafka_topics, variable
):
    """Instead of idling (or failing at the first result), the detector
    exits non-zero and says which setting names a missing topic and how
    topics are created."""
    missing = f"test.missing.{uuid.uuid4().hex[:10]}"
    detector = finish(settings, **{variable: missing})
    assert detector.process.returncode == 1, detector.output
    assert f"has no topic {variable}={missing}" in detector.output
    assert "python manage.py createtopics" in detector.output
    assert "detector consuming" not in detector.output


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_redis_ends_the_detector_naming_redis_url(
    settings, kafka_topics
):
    """Alerts and the live feed go through Redis: a detector that cannot
    reach it exits once REDIS_STARTUP_TIMEOUT has passed, naming REDIS_URL,
    instead of classifying while both are silently dropped."""
    port = closed_port()
    detector = finish(
        settings,
        REDIS_URL=f"redis://:secret@127.0.0.1:{port}/0",
        REDIS_STARTUP_TIMEOUT="1.5",
    )
    assert detector.process.returncode == 1, detector.output
    assert f"no answer from Redis at 127.0.0.1:{port} within 1.5 s" in detector.output
    assert "check REDIS_URL" in detector.output
    assert "secret" not in detector.output
    assert "detector consuming" not in detector.output
