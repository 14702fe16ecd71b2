"""Celery tasks of the review: escalating cases past their SLA."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .services import transactions_escalate_overdue

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
