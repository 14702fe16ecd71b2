"""The settings of the Celery work (webhook alerts, SLA, retention, beat)
come from the environment; a missing or malformed value names itself."""

import subprocess

import pytest

from tests.fresh_process import ROOT, LoadedSettings
from tests.fresh_process import load_settings as load_fresh_settings

pytestmark = pytest.mark.fresh_process

PRINTED = (
    "ALERT_WEBHOOK_URL",
    "ALERT_WEBHOOK_TIMEOUT",
    "ALERT_WEBHOOK_ATTEMPTS",
    "ALERT_WEBHOOK_RETRY_SECONDS",
    "REVIEW_SLA_HOURS",
    "RETENTION_DAYS",
    "ALERT_LEASE_SECONDS",
    "ALERT_DISPATCH_SECONDS",
)


def load_settings(**env) -> LoadedSettings:
    """The settings ``PRINTED`` as a fresh process loads them with only
    ``env`` set (plus a secret key)."""
    without = ("ALERT_", "REVIEW_", "RETENTION_")
    return load_fresh_settings(PRINTED, without=without, **({"SECRET_KEY": "k"} | env))


def test_defaults_need_no_webhook():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.values == {
        "ALERT_WEBHOOK_URL": "",
        "ALERT_WEBHOOK_TIMEOUT": 5.0,
        "ALERT_WEBHOOK_ATTEMPTS": 6,
        "ALERT_WEBHOOK_RETRY_SECONDS": 10.0,
        "REVIEW_SLA_HOURS": 24.0,
        "RETENTION_DAYS": 90,
        "ALERT_LEASE_SECONDS": 120.0,
        "ALERT_DISPATCH_SECONDS": 10.0,
    }


def test_a_webhook_with_its_secret_is_accepted():
    result = load_settings(
        ALERT_WEBHOOK_URL="https://hooks.example.com/fraud",
        ALERT_WEBHOOK_SECRET="s3cret",
        ALERT_WEBHOOK_TIMEOUT="2.5",
        REVIEW_SLA_HOURS="4",
        RETENTION_DAYS="30",
    )
    assert result.returncode == 0, result.stderr
    assert result.values == {
        "ALERT_WEBHOOK_URL": "https://hooks.example.com/fraud",
        "ALERT_WEBHOOK_TIMEOUT": 2.5,
        "ALERT_WEBHOOK_ATTEMPTS": 6,
        "ALERT_WEBHOOK_RETRY_SECONDS": 10.0,
        "REVIEW_SLA_HOURS": 4.0,
        "RETENTION_DAYS": 30,
        "ALERT_LEASE_SECONDS": 120.0,
        "ALERT_DISPATCH_SECONDS": 10.0,
    }


def test_the_outbox_lease_and_dispatch_interval_are_read():
    result = load_settings(ALERT_LEASE_SECONDS="5.5", ALERT_DISPATCH_SECONDS="0.5")
    assert result.returncode == 0, result.stderr
    assert result.values["ALERT_LEASE_SECONDS"] == 5.5
    assert result.values["ALERT_DISPATCH_SECONDS"] == 0.5


def test_the_lease_must_outlast_the_webhook_timeout():
    """At the limit (equal) it is refused; just past it, accepted."""
    equal = load_settings(ALERT_LEASE_SECONDS="5", ALERT_WEBHOOK_TIMEOUT="5")
    assert equal.returncode != 0
    assert "ALERT_LEASE_SECONDS must be more than 5 (longer than " in equal.stderr
    longer = load_settings(ALERT_LEASE_SECONDS="5.1", ALERT_WEBHOOK_TIMEOUT="5")
    assert longer.returncode == 0, longer.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"ALERT_WEBHOOK_URL": "https://hooks.example.com/fraud"},
            "ALERT_WEBHOOK_SECRET is required when ALERT_WEBHOOK_URL is set",
        ),
        (
            {"ALERT_WEBHOOK_URL": "file:///etc/passwd", "ALERT_WEBHOOK_SECRET": "s"},
            "ALERT_WEBHOOK_URL must be an http:// or https:// URL",
        ),
        ({"ALERT_WEBHOOK_TIMEOUT": "0"}, "ALERT_WEBHOOK_TIMEOUT must be more than 0"),
        ({"ALERT_WEBHOOK_ATTEMPTS": "-1"}, "ALERT_WEBHOOK_ATTEMPTS must be 1 or more"),
        ({"REVIEW_SLA_HOURS": "soon"}, "REVIEW_SLA_HOURS must be a number"),
        ({"RETENTION_DAYS": "0"}, "RETENTION_DAYS must be 1 or more"),
        (
            {"ALERT_LEASE_SECONDS": "0"},
            "ALERT_LEASE_SECONDS must be more than 5 (longer than "
            "ALERT_WEBHOOK_TIMEOUT)",
        ),
        ({"ALERT_LEASE_SECONDS": "x"}, "ALERT_LEASE_SECONDS must be a number"),
        ({"ALERT_DISPATCH_SECONDS": "0"}, "ALERT_DISPATCH_SECONDS must be more than 0"),
        (
            {"ALERT_DISPATCH_SECONDS": "-0.1"},
            "ALERT_DISPATCH_SECONDS must be more than 0",
        ),
        ({"RETENTION_DAYS": "90d"}, "RETENTION_DAYS must be an integer"),
    ],
)
def test_bad_values_stop_startup_naming_the_variable(env, message):
    result = load_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_beat_runs_escalation_purge_alerts_drift_check_and_typology_scan():
    """Every scheduled entry names a registered task."""
    from django.conf import settings

    from fraudsite.celery import app

    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert {entry["task"] for entry in schedule.values()} == {
        "transactions_app.tasks.escalate_overdue_cases",
        "transactions_app.tasks.purge_old_transactions",
        "transactions_app.alert_tasks.dispatch_alerts",
        "transactions_app.tasks.check_model_drift",
        "transactions_app.tasks.scan_typologies",
        "transactions_app.tasks.count_rule_fires",
    }
    assert all(entry["task"] in app.tasks for entry in schedule.values())
    assert schedule["check-model-drift"]["schedule"] == 3600.0
    assert schedule["escalate-overdue-cases"]["schedule"] == 900.0
    assert schedule["dispatch-alerts"]["schedule"] == settings.ALERT_DISPATCH_SECONDS
    daily = schedule["scan-typologies"]["schedule"]
    assert (daily.hour, daily.minute) == ({2}, {30})


def test_every_task_keeps_the_name_it_was_registered_under():
    """Tasks moved to their concept's package keep their names: messages
    already queued in Redis, and the beat schedule, call them by name."""
    from fraudsite.celery import app

    app.loader.import_default_modules()
    registered = {name for name in app.tasks if name.startswith("transactions_app.")}
    assert registered == {
        "transactions_app.alert_tasks.dispatch_alerts",
        "transactions_app.alert_tasks.send_alert",
        "transactions_app.alert_tasks.send_alerts",
        "transactions_app.alert_tasks.send_fraud_alerts",
        "transactions_app.tasks.escalate_overdue_cases",
        "transactions_app.tasks.purge_old_transactions",
        "transactions_app.tasks.redrive_dead_letters",
        "transactions_app.tasks.run_backtest",
        "transactions_app.tasks.train_model",
        "transactions_app.tasks.check_model_drift",
        "transactions_app.tasks.scan_typologies",
        "transactions_app.tasks.count_rule_fires",
    }


def test_procfile_runs_beat_with_an_ignored_schedule_file():
    lines = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines()
    )
    assert lines["beat"].startswith("celery -A fraudsite beat ")
    schedule = lines["beat"].split("--schedule ")[1].split()[0]
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", schedule], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0, f"{schedule} is not git-ignored"


@pytest.mark.parametrize(
    ("value", "loaded"),
    [(None, 30), ("1", 1), ("366", 366), ("0", None), ("367", None)],
)
def test_the_typology_scan_period_is_a_day_to_a_year(value, loaded):
    env = {"SECRET_KEY": "k"} | ({"TYPOLOGY_SCAN_DAYS": value} if value else {})
    result = load_fresh_settings(["TYPOLOGY_SCAN_DAYS"], without=("TYPOLOGY_",), **env)
    if loaded is None:
        assert result.returncode != 0
        assert "TYPOLOGY_SCAN_DAYS must be" in result.stderr
    else:
        assert result.values == {"TYPOLOGY_SCAN_DAYS": loaded}, result.stderr
