"""The clients through the local broker's SASL_PLAINTEXT listener
(``scripts/services/services.sh`` starts it on ``KAFKA_SASL_PORT``; PLAIN
user fraud, password fraud; SCRAM-SHA-256 users created here): the
producer and the detector work end to end with the right credentials; with
wrong ones, or a plain client on that listener, the commands exit non-zero
with a clear message instead of waiting."""

import os
import socket
import subprocess
import sys

import pytest
from confluent_kafka.admin import (
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)
from django.db import connection

from tests.streaming.detector_process import ROOT, DetectorProcess, detector_env
from transactions_app.connections import kafka_connection
from transactions_app.models import Transaction
from transactions_app.pipeline.assembly import build_detector
from transactions_app.streaming.kafka import (
    KafkaConnection,
    KafkaSecurityError,
    create_admin,
    create_producer,
    verify_connection,
)
from transactions_app.streaming.ports import DetectorTopics

SASL_PORT = int(os.environ.get("KAFKA_SASL_PORT", "9094"))
SASL_SERVERS = f"127.0.0.1:{SASL_PORT}"
# A hang is what these tests guard against: every command must end by then.
BOUND = 60


def sasl_listener_open() -> bool:
    try:
        socket.create_connection(("127.0.0.1", SASL_PORT), timeout=1).close()
        return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not sasl_listener_open(),
        reason=f"no SASL listener on {SASL_SERVERS}: the broker predates it; "
        "restart it with scripts/services/services.sh stop kafka && "
        "scripts/services/services.sh start kafka",
    ),
]


def sasl_env(password: str = "fraud") -> dict:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": SASL_SERVERS,
        "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "KAFKA_SASL_MECHANISM": "PLAIN",
        "KAFKA_SASL_USERNAME": "fraud",
        "KAFKA_SASL_PASSWORD": password,
    }


def sasl_connection(
    password: str, *, mechanism: str = "PLAIN", username: str = "fraud"
) -> KafkaConnection:
    return KafkaConnection(
        SASL_SERVERS,
        {
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": mechanism,
            "sasl.username": username,
            "sasl.password": password,
        },
    )


SCRAM_USER, SCRAM_PASSWORD = "fraud-scram", "scram-secret"


@pytest.fixture(scope="module")
def scram_user():
    """A SCRAM-SHA-256 user in the cluster metadata, created (or reset)
    through the plain listener's admin API."""
    admin = create_admin(connection=kafka_connection())
    upsert = UserScramCredentialUpsertion(
        SCRAM_USER,
        ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096),
        SCRAM_PASSWORD.encode(),
    )
    for future in admin.alter_user_scram_credentials([upsert]).values():
        future.result(timeout=30)
    return SCRAM_USER


def manage(settings, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=detector_env(settings, **env),
        capture_output=True,
        text=True,
        timeout=BOUND,
    )


def test_a_producer_with_plain_credentials_is_acknowledged(kafka_topics, kafka):
    producer = create_producer(connection=sasl_connection("fraud"))
    producer.produce(kafka_topics.legit, value=b"through SASL PLAIN")
    assert producer.flush(30) == 0
    [message] = kafka.read(kafka_topics.legit, expected=1)
    assert message.value() == b"through SASL PLAIN"


def test_a_producer_with_scram_credentials_is_acknowledged(
    kafka_topics, kafka, scram_user
):
    scram = sasl_connection(
        SCRAM_PASSWORD, mechanism="SCRAM-SHA-256", username=scram_user
    )
    verify_connection(scram, timeout=BOUND)
    producer = create_producer(connection=scram)
    producer.produce(kafka_topics.legit, value=b"through SCRAM")
    assert producer.flush(30) == 0
    [message] = kafka.read(kafka_topics.legit, expected=1)
    assert message.value() == b"through SCRAM"


@pytest.mark.parametrize(
    "wrong",
    [
        sasl_connection("wrong"),
        sasl_connection("wrong", mechanism="SCRAM-SHA-256", username=SCRAM_USER),
        sasl_connection("fraud", mechanism="SCRAM-SHA-512"),
    ],
    ids=["plain-password", "scram-password", "mechanism-not-enabled"],
)
@pytest.mark.usefixtures("scram_user")
def test_wrong_credentials_are_refused_at_once(wrong):
    with pytest.raises(KafkaSecurityError, match="Kafka authentication failed"):
        verify_connection(wrong, timeout=BOUND)


@pytest.mark.django_db
@pytest.mark.usefixtures("default_rules")
def test_a_running_detector_stops_when_its_credentials_are_refused(settings, group_id):
    """Past the start-up check (credentials revoked, say), the clients'
    error callback ends the loop instead of letting it retry for ever."""
    settings.KAFKA_BOOTSTRAP_SERVERS = SASL_SERVERS
    settings.KAFKA_SECURITY = dict(sasl_connection("wrong").security)
    detector = build_detector(
        topics=DetectorTopics(*(f"{group_id}.{name}" for name in "tlfd")),
        group_id=group_id,
    )
    with pytest.raises(KafkaSecurityError, match="Kafka authentication failed"):
        detector.run()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("default_rules")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_producer_and_detector_work_through_sasl(
    settings, kafka_topics, kafka, group_id
):
    produced = manage(
        settings,
        "runproducer",
        "--profile=seed",
        "--seed=7",
        "--count=40",
        "--rate=max",
        **sasl_env(),
    )
    assert produced.returncode == 0, produced.stderr
    assert "sent 40, delivered 40, failed 0" in produced.stderr
    detector = DetectorProcess(settings, "--group-id", group_id, **sasl_env())
    try:
        kafka.wait_for_commit(group_id, kafka_topics.transactions, timeout=BOUND)
        assert detector.terminate(BOUND) == 0, detector.output
    finally:
        detector.stop()
    assert "detector stopped: 40 classified, 0 dead letters" in detector.output
    assert Transaction.objects.count() == 40


@pytest.mark.parametrize("command", ["rundetector", "runproducer", "createtopics"])
def test_wrong_credentials_end_the_command_with_a_clear_message(
    settings, kafka_topics, command
):
    finished = manage(settings, command, **sasl_env(password="wrong"))
    assert finished.returncode == 1
    assert "CommandError: Kafka authentication failed" in finished.stderr
    assert "Invalid username or password" in finished.stderr


def test_a_plain_client_on_the_sasl_listener_gives_up_after_the_timeout(
    settings, kafka_topics
):
    finished = manage(
        settings,
        "rundetector",
        KAFKA_BOOTSTRAP_SERVERS=SASL_SERVERS,
        KAFKA_STARTUP_TIMEOUT="2",
    )
    assert finished.returncode == 1
    assert f"no answer from Kafka at {SASL_SERVERS} within 2 s" in finished.stderr
