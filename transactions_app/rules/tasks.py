"""Celery tasks of the rules: running a requested backtest."""

from celery import shared_task

from .backtest import backtest_run


@shared_task(name="transactions_app.tasks.run_backtest", acks_late=True)
def run_backtest(backtest_id: int) -> int:
    """Run a queued backtest; returns how many transactions it would flag."""
    return backtest_run(backtest_id=backtest_id).flagged
