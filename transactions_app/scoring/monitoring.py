"""The drift check: when the learned score's probability has drifted from
its training window past ``LEARNED_DRIFT_ALERT_PSI``, an alert goes out
(logged, and to the alert webhook when one is set), at most once a day per
model version. A webhook that is down is tried again at the next check,
as long as the drift lasts: nothing is marked alerted until it is sent."""

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings

from ..alerts.webhook import WebhookFailed, drift_webhook_body, webhook_post
from ..models import ModelDrift, ModelVersion
from .selectors import model_drift_report

logger = logging.getLogger(__name__)

REALERT_AFTER = timedelta(days=1)
# Drift counts older than this are dropped by the check (a row a minute a
# detector, a few kilobytes each); the page and the check read 24 hours.
DRIFT_KEPT = timedelta(days=30)


def model_drift_check(*, now: datetime) -> str:
    """Check the model in force, and drop drift counts past
    ``DRIFT_KEPT``; say what was found and done."""
    ModelDrift.objects.filter(recorded_at__lt=now - DRIFT_KEPT).delete()
    report = model_drift_report(now=now)
    if report is None:
        return "no model with a training reference is in force"
    threshold = settings.LEARNED_DRIFT_ALERT_PSI
    if report.score_psi is None or report.score_psi < threshold:
        return f"model v{report.number}: PSI {_shown(report.score_psi)}, no drift"
    version = ModelVersion.objects.get(number=report.number)
    if version.drift_alerted_at and now - version.drift_alerted_at < REALERT_AFTER:
        return f"model v{report.number}: drift alerted at {version.drift_alerted_at}"
    logger.error(
        "the learned score has drifted: model v%d, PSI %.3f of its probability "
        "against its training window over %g h (alert at %.2f); most drifted: %s",
        report.number,
        report.score_psi,
        report.hours,
        threshold,
        ", ".join(f"{name} {_shown(value)}" for name, value in report.features[:3]),
    )
    if settings.ALERT_WEBHOOK_URL:
        _post(report, threshold, now)
    ModelVersion.objects.filter(pk=version.pk).update(drift_alerted_at=now)
    return f"model v{report.number}: PSI {report.score_psi:.3f}, drift alerted"


def _post(report, threshold: float, now: datetime) -> None:
    """Raises ``WebhookFailed``: the check runs again and sends it then."""
    try:
        webhook_post(
            url=settings.ALERT_WEBHOOK_URL,
            secret=settings.ALERT_WEBHOOK_SECRET,
            body=drift_webhook_body(
                number=report.number,
                psi=report.score_psi,
                threshold=threshold,
                report=report,
            ),
            timestamp=int(time.time()),
            timeout=settings.ALERT_WEBHOOK_TIMEOUT,
            alert_id=f"model-drift-v{report.number}-{now:%Y%m%d}",
        )
    except WebhookFailed:
        logger.warning("the drift alert could not be sent; tried again next check")
        raise


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
