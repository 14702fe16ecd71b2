"""Operations endpoints: ``/healthz`` (database, Redis, Kafka) and
``/metrics`` (Prometheus, for staff or the ``METRICS_TOKEN`` bearer)."""

import hmac

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from .alerts.selectors import alert_deliveries_unsent
from .connections import check_redis, kafka_connection
from .models import DeadLetter, ReviewStatus, Transaction
from .streaming.kafka import create_admin

AWAITING_REVIEW = Gauge(
    "fraud_transactions_awaiting_review", "Flagged transactions not reviewed yet."
)
DEAD_LETTERS_PENDING = Gauge(
    "fraud_dead_letters_pending", "Dead letters not re-driven yet."
)
ALERTS = Gauge(
    "fraud_alert_deliveries",
    "Fraud alert deliveries (outbox rows) not sent yet, by status.",
    ["status"],
)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_kafka() -> None:
    admin = create_admin(
        connection=kafka_connection(),
        **{"socket.connection.setup.timeout.ms": 2000},
    )
    admin.list_topics(timeout=3)


CHECKS = {"database": check_database, "redis": check_redis, "kafka": check_kafka}


@never_cache
@require_GET
def healthz(request):
    """200 when the database, Redis and Kafka all answer, else 503; the body
    names each dependency's state (no details that would help an attacker)."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception:  # noqa: BLE001 - any failure means unavailable
            results[name] = "unavailable"
    healthy = all(state == "ok" for state in results.values())
    return JsonResponse(results, status=200 if healthy else 503)


@never_cache
@require_GET
def metrics(request):
    if not _may_read_metrics(request):
        return HttpResponse(
            "Staff login or the metrics token required.\n",
            status=403,
            content_type="text/plain",
        )
    AWAITING_REVIEW.set(
        Transaction.objects.filter(review_status=ReviewStatus.NEW).count()
    )
    DEAD_LETTERS_PENDING.set(
        DeadLetter.objects.filter(redriven_at__isnull=True).count()
    )
    for status, count in alert_deliveries_unsent().items():
        ALERTS.labels(status=status).set(count)
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)


def _may_read_metrics(request) -> bool:
    if request.user.is_authenticated and request.user.is_staff:
        return True
    token = settings.METRICS_TOKEN
    supplied = request.headers.get("Authorization", "").removeprefix("Bearer ")
    return bool(token) and hmac.compare_digest(supplied.encode(), token.encode())
