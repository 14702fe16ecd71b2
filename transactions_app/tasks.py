"""Celery tasks, gathered from the concepts' packages (Celery finds them
through this module): each takes an id or nothing, fetches, and calls its
package's services. Each keeps the name it was registered under."""

from .alerts.tasks import dispatch_alerts, send_alert, send_alerts, send_fraud_alerts
from .ingest.tasks import purge_old_transactions, redrive_dead_letters
from .review.tasks import escalate_overdue_cases
from .rules.tasks import count_rule_fires, run_backtest
from .scoring.tasks import check_model_drift, train_model
from .typologies.tasks import scan_typologies

__all__ = [
    "check_model_drift",
    "count_rule_fires",
    "dispatch_alerts",
    "escalate_overdue_cases",
    "purge_old_transactions",
    "redrive_dead_letters",
    "run_backtest",
    "scan_typologies",
    "send_alert",
    "send_alerts",
    "send_fraud_alerts",
    "train_model",
]
