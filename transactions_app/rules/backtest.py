"""Backtests: replay stored transactions through the rule set with a draft
rule version in place, to see what it would flag before approving it."""

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from .. import detection
from ..ingest.selectors import ENGINE_FIELDS, engine_transaction
from ..models import Backtest, ReviewStatus, Transaction
from .selectors import ruleset_live

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 5000


def backtest_run(*, backtest_id: int, now: datetime | None = None) -> Backtest:
    """Replay the stored transactions of the backtest's period, oldest
    first, through a fresh engine; count what the rule set with the draft
    would flag, and how analysts judged those. Progress is saved as it
    goes; a failure is recorded on the backtest and raised."""
    backtest = Backtest.objects.select_related("version__rule").get(pk=backtest_id)
    now = now or timezone.now()
    rows = Transaction.objects.filter(
        timestamp__gte=now - timedelta(days=backtest.days)
    )
    _save(backtest, status=Backtest.Status.RUNNING, total=rows.count(), processed=0)
    try:
        counts = _replay(backtest, rows)
    except Exception as error:
        _save(
            backtest,
            status=Backtest.Status.FAILED,
            error=str(error),
            finished_at=timezone.now(),
        )
        raise
    _save(backtest, status=Backtest.Status.DONE, finished_at=timezone.now(), **counts)
    return backtest


def _replay(backtest: Backtest, rows) -> dict:
    engine = detection.Engine(
        ruleset_live(replacing=backtest.version), clock=timezone.now
    )
    name = backtest.version.rule.name
    counts = dict(
        processed=0, fired=0, flagged=0, flagged_now=0, confirmed=0, dismissed=0
    )
    fields = (*ENGINE_FIELDS, "outcome", "review_status", "kafka_partition")
    for *values, outcome, review, partition in (
        rows.order_by("timestamp", "id").values_list(*fields).iterator(chunk_size=2000)
    ):
        verdict = engine.classify(engine_transaction(values), shard=partition)
        counts["processed"] += 1
        counts["fired"] += any(reason.rule == name for reason in verdict.reasons)
        if verdict.is_flagged:
            counts["flagged"] += 1
            counts["flagged_now"] += outcome != "legit"
            counts["confirmed"] += review == ReviewStatus.CONFIRMED
            counts["dismissed"] += review == ReviewStatus.FALSE_POSITIVE
        if counts["processed"] % PROGRESS_EVERY == 0:
            _save(backtest, **counts)
    return counts


def _save(backtest: Backtest, **fields) -> None:
    for name, value in fields.items():
        setattr(backtest, name, value)
    Backtest.objects.filter(pk=backtest.pk).update(**fields)
