"""The webhook alert: its JSON body, its signature, and the POST against a
real HTTP endpoint that answers, fails, redirects or hangs."""

import json
import time
import uuid
from decimal import Decimal

import pytest

from tests.factories import NOW, SOURCE, TARGET, amount_reason
from tests.webhook_server import SECRET, WebhookServer
from transactions_app.alerts.webhook import (
    WebhookFailed,
    webhook_body,
    webhook_post,
    webhook_signature,
)
from transactions_app.models import Transaction

TRANSACTION_ID = uuid.UUID("6f1c1d3e-59a4-4b44-9d0b-7a8f7c2b9e01")


def fraud_transaction() -> Transaction:
    return Transaction(
        transaction_id=TRANSACTION_ID,
        source=SOURCE,
        target=TARGET,
        amount=Decimal("950.10"),
        currency="EUR",
        timestamp=NOW,
        outcome="fraud",
        score=100,
        reasons=[amount_reason("950.10")],
    )


def post(url: str, *, timeout: float = 2.0) -> int:
    return webhook_post(
        url=url,
        secret=SECRET,
        body=webhook_body(fraud_transaction()),
        timestamp=int(time.time()),
        timeout=timeout,
        alert_id=str(TRANSACTION_ID),
    )


def test_body_carries_the_alert_with_an_exact_amount():
    body = json.loads(webhook_body(fraud_transaction()))
    assert body == {
        "event": "fraud_alert",
        "transaction_id": str(TRANSACTION_ID),
        "amount": "950.10",
        "currency": "EUR",
        "source": SOURCE,
        "target": TARGET,
        "score": 100,
        "reasons": [amount_reason("950.10")],
        "timestamp": "2026-05-04T10:00:00+00:00",
    }


def test_signature_is_the_hmac_of_timestamp_dot_body():
    """A known value, computed independently:
    ``printf '1700000000.{}' | openssl dgst -sha256 -hmac s``."""
    assert webhook_signature(secret="s", timestamp=1700000000, body=b"{}") == (
        "e9232c9945da8456c2dea6b39da7786c07b00bca7a64d5dd1283674713a7b72a"
    )


def test_signature_changes_with_the_timestamp_secret_and_body():
    """A replayed body with a new timestamp, or another secret, or one
    changed byte, does not verify."""
    base = webhook_signature(secret="s", timestamp=1, body=b"{}")
    assert webhook_signature(secret="s", timestamp=2, body=b"{}") != base
    assert webhook_signature(secret="t", timestamp=1, body=b"{}") != base
    assert webhook_signature(secret="s", timestamp=1, body=b"{ }") != base


def test_post_is_signed_and_accepted():
    with WebhookServer() as server:
        assert post(server.url) == 200
    (request,) = server.received
    assert request.signature_valid
    assert request.headers["Content-Type"] == "application/json"
    assert abs(int(request.headers["X-Fraud-Timestamp"]) - time.time()) < 60
    assert request.json["transaction_id"] == str(TRANSACTION_ID)


def test_post_carries_the_alert_id_for_receivers_to_deduplicate():
    """Every attempt of an alert has the same id, in both headers."""
    with WebhookServer(["error"]) as server:
        with pytest.raises(WebhookFailed):
            post(server.url)
        post(server.url)
    for request in server.received:
        assert request.headers["X-Fraud-Alert-Id"] == str(TRANSACTION_ID)
        assert request.headers["Idempotency-Key"] == str(TRANSACTION_ID)


def test_an_error_answer_fails_with_its_status():
    with WebhookServer(["error"]) as server:
        with pytest.raises(WebhookFailed, match="HTTP 500") as failed:
            post(server.url)
    assert failed.value.status == 500


def test_a_redirect_is_not_followed():
    """A POST must not turn into a GET somewhere else: a 3xx is a failure."""
    with WebhookServer(["redirect"]) as server:
        with pytest.raises(WebhookFailed, match="HTTP 302"):
            post(server.url)
    assert len(server.received) == 1


def test_a_hanging_endpoint_times_out():
    """The endpoint never answers; the POST gives up after the timeout."""
    with WebhookServer(["hang"]) as server:
        started = time.monotonic()
        with pytest.raises(WebhookFailed, match="timed out") as failed:
            post(server.url, timeout=0.3)
        waited = time.monotonic() - started
    assert failed.value.status is None
    assert waited < 10  # bounded by the timeout, not by the endpoint


def test_an_unreachable_endpoint_fails():
    with WebhookServer() as server:
        url = server.url
    with pytest.raises(WebhookFailed, match="Connection refused"):
        post(url)
