"""Backtests replay stored transactions through the rule set with a draft
version in place, and count what analysts made of what it would flag."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import stored_transaction
from transactions_app.models import Backtest, Rule, Transaction
from transactions_app.rules.backtest import backtest_run
from transactions_app.rules.services import (
    backtest_request,
    rule_create,
    rule_version_propose,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def history():
    """Six stored transactions from the last days: two flagged ones that
    analysts confirmed and dismissed, and four small legit ones, one of them
    older than a week."""
    now = timezone.now()
    rows = [
        stored_transaction("fraud", amount="950.00"),
        stored_transaction("fraud", amount="980.00"),
    ]
    rows += [stored_transaction("legit", amount=f"{a}.00") for a in (40, 60, 80, 100)]
    for i, row in enumerate(rows):
        row.timestamp = now - timedelta(days=1, minutes=i)
    rows[0].review_status, rows[1].review_status = "confirmed", "false_positive"
    rows[-1].timestamp = now - timedelta(days=9)
    Transaction.objects.bulk_update(rows, ["timestamp", "review_status"])
    return rows


def draft(threshold: str, admin_user):
    rule = Rule.objects.get(name="amount_threshold")
    return rule_version_propose(
        rule=rule,
        author=admin_user,
        weight=100,
        params={"threshold": threshold, "currency": "EUR"},
    )


def test_a_stricter_draft_is_measured_against_the_last_days(
    history, admin_user, settings
):
    settings.RULES_FOUR_EYES = True
    version = draft("50", admin_user)
    backtest = Backtest.objects.create(version=version, days=7)
    result = backtest_run(backtest_id=backtest.pk)
    assert result.status == Backtest.Status.DONE
    assert (result.total, result.processed) == (5, 5)
    assert result.fired == 4  # 950, 980, 60, 80 are >= 50; 40 is not
    assert result.flagged == 4
    assert result.flagged_now == 2
    assert (result.confirmed, result.dismissed) == (1, 1)
    assert result.progress == "5/5"


def test_a_looser_draft_fires_less_and_the_other_rules_still_count(
    history, admin_user, settings
):
    """At 970 the draft fires on 980 only; 950 is still flagged, by an
    anomaly rule live beside it (over 8 times the source's median of its
    earlier amounts), because the whole rule set is replayed with the draft
    in place."""
    settings.RULES_FOUR_EYES = False
    rule_create(
        name="anomaly",
        kind="amount_anomaly",
        author=admin_user,
        params={"factor": 8, "min_history": 5},
        weight=50,
    )
    settings.RULES_FOUR_EYES = True
    backtest = Backtest.objects.create(version=draft("970", admin_user), days=30)
    result = backtest_run(backtest_id=backtest.pk)
    assert (result.total, result.fired, result.flagged) == (6, 1, 2)
    assert (result.confirmed, result.dismissed) == (1, 1)


def test_requesting_a_backtest_runs_the_task_after_commit(
    history, admin_user, settings, django_capture_on_commit_callbacks
):
    """The admin action's service queues the Celery task; here it runs
    eagerly, as a worker would."""
    from fraudsite.celery import app

    settings.RULES_FOUR_EYES = True
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            backtest = backtest_request(
                version=draft("50", admin_user), days=7, requested_by=admin_user
            )
    finally:
        app.conf.task_always_eager = False
    backtest.refresh_from_db()
    assert (backtest.status, backtest.flagged) == (Backtest.Status.DONE, 4)


def test_the_admin_action_queues_a_backtest(admin_client, admin_user, settings):
    settings.RULES_FOUR_EYES = True
    version = draft("50", admin_user)
    admin_client.post(
        "/admin/transactions_app/ruleversion/",
        {"action": "backtest_7_days", "_selected_action": [version.pk]},
    )
    assert Backtest.objects.get().version == version
    assert admin_client.get("/admin/transactions_app/backtest/").status_code == 200
