"""Celery tasks of the rules: running a requested backtest, and counting
the rules' fires of closed days ahead of the statistics that read them."""

import logging

from celery import shared_task
from django.utils import timezone

from .backtest import backtest_run
from .fires import rule_fires_count_closed_days

logger = logging.getLogger(__name__)


@shared_task(name="transactions_app.tasks.run_backtest", acks_late=True)
def run_backtest(backtest_id: int) -> int:
    """Run a queued backtest; returns how many transactions it would flag."""
    return backtest_run(backtest_id=backtest_id).flagged


@shared_task(name="transactions_app.tasks.count_rule_fires")
def count_rule_fires() -> int:
    """Periodic (``CELERY_BEAT_SCHEDULE``): count the rule fires of the
    legit days closed since the last run, or whose count a late row
    dropped (``fires``); returns how many days it counted."""
    days = rule_fires_count_closed_days(today=timezone.now().date())
    if days:
        logger.info(
            "rule fires counted for %d closed days: %s",
            len(days),
            ", ".join(day.isoformat() for day in days),
        )
    return len(days)
