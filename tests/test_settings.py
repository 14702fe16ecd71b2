"""Configuration comes from the environment; a missing or malformed value
names itself."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fraudsite.env import SettingError, env_bool, env_float, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parent.parent


def test_readers_use_defaults_when_unset(monkeypatch):
    monkeypatch.delenv("FRAUD_TEST_VALUE", raising=False)
    assert env_str("FRAUD_TEST_VALUE", "d") == "d"
    assert env_float("FRAUD_TEST_VALUE", 2.0) == 2.0
    assert env_int("FRAUD_TEST_VALUE", 3) == 3
    assert env_bool("FRAUD_TEST_VALUE", True) is True
    assert env_list("FRAUD_TEST_VALUE", "a, b,,c") == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("reader", "raw", "message"),
    [
        (lambda: env_float("FRAUD_TEST_VALUE", 1.0), "fast", "must be a number"),
        (lambda: env_float("FRAUD_TEST_VALUE", 1.0), "nan", "finite"),
        (lambda: env_int("FRAUD_TEST_VALUE", 1), "1.5", "must be an integer"),
        (lambda: env_bool("FRAUD_TEST_VALUE", True), "maybe", "true/false"),
    ],
)
def test_malformed_values_name_the_variable(monkeypatch, reader, raw, message):
    monkeypatch.setenv("FRAUD_TEST_VALUE", raw)
    with pytest.raises(SettingError) as error:
        reader()
    assert "FRAUD_TEST_VALUE" in str(error.value)
    assert message in str(error.value)


def test_required_value_names_itself(monkeypatch):
    monkeypatch.delenv("FRAUD_TEST_VALUE", raising=False)
    with pytest.raises(SettingError, match="FRAUD_TEST_VALUE is required"):
        env_str("FRAUD_TEST_VALUE")


def load_settings(**env) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "DJANGO_DEBUG",
            "DATABASE_URL",
            "KAFKA_BOOTSTRAP_SERVERS",
            "REDIS_URL",
        }
    }
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.DATABASES['default']['ENGINE'],"
        " settings.KAFKA_BOOTSTRAP_SERVERS, settings.REDIS_URL,"
        " settings.TRANSACTIONS_TOPIC, settings.LEGIT_TOPIC,"
        " settings.FRAUD_TOPIC, settings.DEADLETTER_TOPIC,"
        " settings.TRANSACTIONS_PER_SECOND)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_defaults_are_the_original_apps():
    """SQLite, loopback Kafka and Redis, the original topics and 2.0/s."""
    result = load_settings(SECRET_KEY="k")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "127.0.0.1:9092",
        "redis://127.0.0.1:6379/0",
        "queuing.transactions",
        "queuing.legit",
        "queuing.fraud",
        "queuing.deadletter",
        "2.0",
    ]


def test_environment_overrides_the_defaults():
    result = load_settings(
        SECRET_KEY="k",
        DATABASE_URL="postgres://u:p@db:5432/x",
        KAFKA_BOOTSTRAP_SERVERS="k1:9092,k2:9092",
        FRAUD_TOPIC="alerts.fraud",
        TRANSACTIONS_PER_SECOND="50",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout.split()
    assert out[0] == "django.db.backends.postgresql"
    assert out[1] == "k1:9092,k2:9092"
    assert out[5] == "alerts.fraud"
    assert out[7] == "50.0"


def test_secret_key_is_required_outside_debug():
    """Without SECRET_KEY (and without DJANGO_DEBUG) startup fails naming it."""
    result = load_settings()
    assert result.returncode != 0
    assert "The environment variable SECRET_KEY is required." in result.stderr


def test_debug_runs_without_a_secret_key():
    assert load_settings(DJANGO_DEBUG="true").returncode == 0
