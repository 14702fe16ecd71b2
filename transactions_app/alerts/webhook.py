"""Fraud alerts as a webhook: the JSON body, its signature, and the POST.

The receiver checks two headers: ``X-Fraud-Timestamp`` (Unix seconds when
the request was signed) and ``X-Fraud-Signature-SHA256``, the hex
HMAC-SHA256, keyed with ``ALERT_WEBHOOK_SECRET``, of the timestamp, a dot
and the exact body bytes. Signing the timestamp lets the receiver refuse
old requests replayed by someone who captured one. An alert may arrive
more than once (delivery is at least once): ``X-Fraud-Alert-Id`` and
``Idempotency-Key`` carry its stable id, the same in every attempt, for
the receiver to drop duplicates. No Django in here: the task gives the
transaction's values, the secret and the clock.
"""

import hashlib
import hmac
import http.client
import json
import urllib.error
import urllib.request
from decimal import Decimal

SIGNATURE_HEADER = "X-Fraud-Signature-SHA256"
TIMESTAMP_HEADER = "X-Fraud-Timestamp"
ALERT_ID_HEADER = "X-Fraud-Alert-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = "fraud-detection-webhook/1"


class WebhookFailed(Exception):
    """The endpoint could not be reached, did not answer in time, or did
    not answer 2xx. ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def webhook_body(transaction) -> bytes:
    """The alert as compact JSON with sorted keys. The amount is a string
    so that no decimal is lost to a float on either side."""
    payload = {
        "event": "fraud_alert",
        "transaction_id": str(transaction.transaction_id),
        "amount": str(Decimal(transaction.amount)),
        "currency": transaction.currency,
        "source": transaction.source,
        "target": transaction.target,
        "score": transaction.score,
        "reasons": transaction.reasons,
        "timestamp": transaction.timestamp.isoformat(),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def drift_webhook_body(*, number: int, psi: float, threshold: float, report) -> bytes:
    """The drift alert of model version ``number``: the PSI of its
    probability against its training window over the report's hours, and
    the features that drifted most."""
    payload = {
        "event": "model_drift",
        "model_version": number,
        "psi": round(psi, 4),
        "threshold": threshold,
        "hours": report.hours,
        "transactions": report.rows,
        "features": [
            {"name": name, "psi": None if value is None else round(value, 4)}
            for name, value in report.features[:5]
        ],
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``b"<timestamp>." + body`` keyed with the secret."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_post(
    *,
    url: str,
    secret: str,
    body: bytes,
    timestamp: int,
    timeout: float,
    alert_id: str,
) -> int:
    """POST the signed body; return the HTTP status of a 2xx answer.

    ``timeout`` bounds the connection and every read, so an endpoint that
    hangs costs the worker at most that long per wait. Redirects are not
    followed (a POST must not turn into a GET elsewhere): any answer but
    2xx, and any network error, raises ``WebhookFailed``, whose message
    leaves out the URL (webhook URLs often carry a token). ``alert_id`` is
    sent as ``X-Fraud-Alert-Id`` and ``Idempotency-Key``.
    """
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            TIMESTAMP_HEADER: str(timestamp),
            ALERT_ID_HEADER: alert_id,
            IDEMPOTENCY_HEADER: alert_id,
            SIGNATURE_HEADER: webhook_signature(
                secret=secret, timestamp=timestamp, body=body
            ),
        },
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read(65536)
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        raise WebhookFailed(f"HTTP {error.code} {error.reason}", error.code) from error
    except (OSError, http.client.HTTPException) as error:
        raise WebhookFailed(f"{type(error).__name__}: {error}") from error


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx status


_OPENER = urllib.request.build_opener(_NoRedirects)
