"""/healthz checks the real dependencies; /metrics is for staff or the
metrics token; the detector serves its own metrics; logs can be JSON."""

import json
import logging
import socket
import time
import urllib.request
import uuid

import pytest

from fraudsite.logs import JsonFormatter
from tests.factories import stored_transaction
from tests.streaming.detector_process import DetectorProcess
from transactions_app.models import AlertDelivery

pytestmark = pytest.mark.django_db


@pytest.mark.integration
def test_healthz_reports_every_dependency_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok", "kafka": "ok"}


@pytest.mark.integration
def test_healthz_names_what_is_down(client, settings):
    settings.KAFKA_BOOTSTRAP_SERVERS = "127.0.0.1:1"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "database": "ok",
        "redis": "unavailable",
        "kafka": "unavailable",
    }


def test_metrics_need_staff_or_the_token(client, settings, django_user_model):
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert ok.status_code == 200
    assert b"fraud_transactions_awaiting_review" in ok.content
    user = django_user_model.objects.create_user("ops", password="x", is_staff=True)
    client.force_login(user)
    assert client.get("/metrics").status_code == 200


def test_metrics_count_the_alerts_not_sent(client, settings):
    """Pending, sending and failed outbox rows, each by status; sent ones
    are not counted."""
    settings.METRICS_TOKEN = "s3cret-token"
    for status in ("pending", "pending", "failed", "sent"):
        AlertDelivery.objects.create(
            transaction=stored_transaction("fraud"), channel="webhook", status=status
        )
    page = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    text = page.content.decode()
    assert 'fraud_alert_deliveries{status="pending"} 2.0' in text
    assert 'fraud_alert_deliveries{status="sending"} 0.0' in text
    assert 'fraud_alert_deliveries{status="failed"} 1.0' in text
    assert 'status="sent"' not in text


def test_no_token_configured_means_staff_only(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_json_logs_are_one_object_per_line():
    record = logging.LogRecord(
        "fraud", logging.WARNING, __file__, 1, "dead letter %s", ("x",), None
    )
    document = json.loads(JsonFormatter().format(record))
    assert document["message"] == "dead letter x"
    assert document["level"] == "WARNING"


def scrape_until(port: int, expected: str, timeout: float = 60.0) -> str:
    """The detector's metrics page, once it shows ``expected`` (asked again
    until then; ``timeout`` bounds a failure)."""
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/metrics"
    while True:
        text = urllib.request.urlopen(url, timeout=5).read().decode()
        if expected in text:
            return text
        assert time.monotonic() < deadline, f"{expected!r} not in:\n{text}"
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("default_rules")
def test_the_detector_serves_prometheus_metrics(
    settings, kafka_topics, kafka, group_id
):
    port = free_port()
    kafka.produce(
        kafka_topics.transactions,
        [
            {
                "transaction_id": str(uuid.uuid4()),
                "source": "a1",
                "target": "b2",
                "amount": amount,
                "currency": "EUR",
            }
            for amount in (10.0, 950.0)
        ]
        + [b"junk"],
    )
    detector = DetectorProcess(
        settings, "--group-id", group_id, "--metrics-port", str(port)
    )
    try:
        detector.wait_for_output("partitions assigned")
        text = scrape_until(port, "fraud_dead_letters_total 1.0")
    finally:
        assert detector.terminate() == 0
    assert 'fraud_verdicts_total{outcome="legit"} 1.0' in text
    assert 'fraud_verdicts_total{outcome="fraud"} 1.0' in text
    assert "fraud_messages_consumed_total 3.0" in text
    assert "fraud_batch_duration_seconds_count 1.0" in text
    assert "fraud_end_to_end_latency_seconds_count 2.0" in text
