"""Celery tasks. Each takes an id, fetches, and calls services. The fraud
alert tasks live in ``alerts.tasks``."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .alerts.tasks import dispatch_alerts, send_alert, send_alerts, send_fraud_alerts
from .ingest.tasks import purge_old_transactions, redrive_dead_letters
from .review import transactions_escalate_overdue
from .rules.tasks import run_backtest

logger = logging.getLogger(__name__)


@shared_task(name="transactions_app.tasks.escalate_overdue_cases")
def escalate_overdue_cases() -> int:
    """Escalate flagged cases still new or in review ``REVIEW_SLA_HOURS``
    after they were stored (periodic, see ``CELERY_BEAT_SCHEDULE``);
    returns how many were escalated."""
    hours = settings.REVIEW_SLA_HOURS
    escalated = transactions_escalate_overdue(
        opened_before=timezone.now() - timedelta(hours=hours),
        note=f"SLA exceeded: open longer than {hours:g} h",
    )
    if escalated:
        logger.info("escalated %d cases open longer than %g h", escalated, hours)
    return escalated


__all__ = [
    "dispatch_alerts",
    "escalate_overdue_cases",
    "purge_old_transactions",
    "redrive_dead_letters",
    "run_backtest",
    "send_alert",
    "send_alerts",
    "send_fraud_alerts",
]
