"""Configuration comes from the environment; a missing or malformed value
names itself."""

import json
import subprocess

import pytest

from tests.fresh_process import LoadedSettings, run_python
from tests.fresh_process import load_settings as load_fresh_settings

pytestmark = pytest.mark.fresh_process

MAIN_SETTINGS = (
    "DATABASES",
    "KAFKA_BOOTSTRAP_SERVERS",
    "REDIS_URL",
    "TRANSACTIONS_TOPIC",
    "LEGIT_TOPIC",
    "FRAUD_TOPIC",
    "DEADLETTER_TOPIC",
    "RECEIVERS_TOPIC",
    "DETECTION_SHARE_RECEIVERS",
    "TRANSACTIONS_PER_SECOND",
)


def load_settings(**env) -> LoadedSettings:
    without = (
        "SECRET_KEY",
        "DJANGO_DEBUG",
        "DATABASE_URL",
        "KAFKA_BOOTSTRAP_SERVERS",
        "REDIS_URL",
    )
    return load_fresh_settings(MAIN_SETTINGS, without=without, **env)


def test_defaults_are_the_original_apps():
    """SQLite, loopback Kafka and Redis, the original topics and 2.0/s."""
    result = load_settings(SECRET_KEY="k")
    assert result.returncode == 0, result.stderr
    values = result.values
    assert values.pop("DATABASES")["default"]["ENGINE"] == (
        "django.db.backends.sqlite3"
    )
    assert values == {
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "TRANSACTIONS_TOPIC": "queuing.transactions",
        "LEGIT_TOPIC": "queuing.legit",
        "FRAUD_TOPIC": "queuing.fraud",
        "DEADLETTER_TOPIC": "queuing.deadletter",
        "RECEIVERS_TOPIC": "queuing.transactions.receivers",
        "DETECTION_SHARE_RECEIVERS": True,
        "TRANSACTIONS_PER_SECOND": 2.0,
    }


def test_environment_overrides_the_defaults():
    result = load_settings(
        SECRET_KEY="k",
        DATABASE_URL="postgres://u:p@db:5432/x",
        KAFKA_BOOTSTRAP_SERVERS="k1:9092,k2:9092",
        FRAUD_TOPIC="alerts.fraud",
        TRANSACTIONS_PER_SECOND="50",
    )
    assert result.returncode == 0, result.stderr
    values = result.values
    assert values["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert values["KAFKA_BOOTSTRAP_SERVERS"] == "k1:9092,k2:9092"
    assert values["FRAUD_TOPIC"] == "alerts.fraud"
    assert values["TRANSACTIONS_PER_SECOND"] == 50.0


def test_secret_key_is_required_outside_debug():
    """Without SECRET_KEY (and without DJANGO_DEBUG) startup fails naming it."""
    result = load_settings()
    assert result.returncode != 0
    assert "The environment variable SECRET_KEY is required." in result.stderr


def test_debug_runs_without_a_secret_key():
    assert load_settings(DJANGO_DEBUG="true").returncode == 0


# Every variable the table below sets, cleared from the inherited
# environment so that each case changes exactly one thing.
BOUNDED = {
    "DETECTOR_BATCH_SIZE": ("1", "100000", "must be between 1 and 100000"),
    "DETECTOR_METRICS_PORT": ("0", "65535", "must be between 0 and 65535"),
    "EMAIL_PORT": ("1", "65535", "must be between 1 and 65535"),
    "DETECTION_FRAUD_SCORE": ("1", "2147483647", "must be between 1 and 2147483647"),
    "TRANSACTIONS_TOPIC_PARTITIONS": ("1", None, "must be 1 or more"),
    "KAFKA_REPLICATION_FACTOR": ("1", None, "must be 1 or more"),
    "DETECTION_RESTORE_SECONDS": ("0", None, "must be 0 or more"),
    "DATABASE_CONN_MAX_AGE": ("0", None, "must be 0 or more"),
    "SECURE_HSTS_SECONDS": ("0", None, "must be 0 or more"),
    "PROXY_COUNT": ("0", None, "must be 0 or more"),
    "AXES_FAILURE_LIMIT": ("1", None, "must be 1 or more"),
    "AXES_COOLOFF_MINUTES": ("0", None, "must be 0 or more"),
    "ALERT_WEBHOOK_ATTEMPTS": ("1", None, "must be 1 or more"),
    "RETENTION_DAYS": ("1", None, "must be 1 or more"),
}
POSITIVE = [
    "RULES_RELOAD_SECONDS",
    "KAFKA_STARTUP_TIMEOUT",
    "REDIS_STARTUP_TIMEOUT",
    "TRANSACTIONS_PER_SECOND",
    "ALERT_WEBHOOK_TIMEOUT",
    "ALERT_WEBHOOK_RETRY_SECONDS",
    "REVIEW_SLA_HOURS",
]
# Event-time bounds: more than 0, at most ten years.
EVENT_TIME = ["EVENT_TIME_MAX_AHEAD_SECONDS", "EVENT_TIME_MAX_BEHIND_SECONDS"]
OTHERS = [
    *EVENT_TIME,
    "DATABASE_URL",
    "REDIS_URL",
    "KAFKA_BOOTSTRAP_SERVERS",
    "DETECTION_REVIEW_SCORE",
    "TRANSACTIONS_TOPIC",
    "LEGIT_TOPIC",
    "FRAUD_TOPIC",
    "DEADLETTER_TOPIC",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "ALLOWED_HOSTS",
    "DJANGO_DEBUG",
    "SECRET_KEY",
    "ALERT_WEBHOOK_URL",
    "ALERT_WEBHOOK_SECRET",
    "METRICS_TOKEN",
    "DETECTOR_INSTANCE_ID",
    "ALERT_EMAILS",
    "CSRF_TRUSTED_ORIGINS",
    "KAFKA_SASL_USERNAME",
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_MIN_INSYNC_REPLICAS",
]
TABLE_VARIABLES = (*BOUNDED, *POSITIVE, *OTHERS)


def just_past(limit: str, step: int) -> str:
    return str(int(limit) + step)


BAD_VALUES = [
    # Case 4 of issue 11, as reported.
    ("DETECTOR_BATCH_SIZE", "-5", "DETECTOR_BATCH_SIZE must be between 1 and 100000"),
    ("DETECTOR_BATCH_SIZE", "10000000", "DETECTOR_BATCH_SIZE must be between 1 and"),
    ("REDIS_URL", "garbage", "REDIS_URL must be a redis://, rediss:// or unix:// URL"),
    ("RULES_RELOAD_SECONDS", "-1", "RULES_RELOAD_SECONDS must be more than 0"),
    ("DATABASE_URL", "nonsense", "DATABASE_URL must be a postgres:// URL"),
    (
        "DETECTION_REVIEW_SCORE",
        "200",
        "DETECTION_REVIEW_SCORE must be between 1 and 100",
    ),
    ("DETECTOR_METRICS_PORT", "99999", "DETECTOR_METRICS_PORT must be between 0 and"),
    # Each bound just past its limit.
    *(
        (name, just_past(low, -1), f"{name} {message}")
        for name, (low, _, message) in BOUNDED.items()
    ),
    *(
        (name, just_past(high, 1), f"{name} {message}")
        for name, (_, high, message) in BOUNDED.items()
        if high is not None
    ),
    *((name, "0", f"{name} must be more than 0, got 0.") for name in POSITIVE),
    *(
        (name, value, f"{name} must be more than 0 and at most 315360000")
        for name in EVENT_TIME
        for value in ("0", "315360001")
    ),
    ("DETECTION_REVIEW_SCORE", "0", "DETECTION_REVIEW_SCORE must be between 1 and"),
    ("DETECTION_REVIEW_SCORE", "101", "(at most DETECTION_FRAUD_SCORE), got 101."),
    ("DETECTOR_BATCH_SIZE", "many", "DETECTOR_BATCH_SIZE must be an integer"),
    ("RULES_RELOAD_SECONDS", "inf", "RULES_RELOAD_SECONDS must be a finite number"),
    # URLs, addresses, names and choices.
    ("REDIS_URL", "redis://127.0.0.1:65536/0", "The port in REDIS_URL must be between"),
    ("REDIS_URL", "redis://127.0.0.1:0/0", "The port in REDIS_URL must be between"),
    ("REDIS_URL", "redis:///0", "REDIS_URL must name a host"),
    ("REDIS_URL", "redis://127.0.0.1:6379/one", "The database in REDIS_URL must be"),
    ("REDIS_URL", "unix://", "REDIS_URL must name a socket"),
    ("DATABASE_URL", "mysql://u:p@db/x", "DATABASE_URL must be a postgres:// URL"),
    ("DATABASE_URL", "postgres://u:p@db:99999/x", "The port in DATABASE_URL must be"),
    ("DATABASE_URL", "postgres://u:p@db:5432", "DATABASE_URL must name the database"),
    ("DATABASE_URL", "postgres://u:p@:5432/x", "DATABASE_URL must name a host"),
    ("KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:65536", "KAFKA_BOOTSTRAP_SERVERS must be"),
    ("KAFKA_BOOTSTRAP_SERVERS", "k1:9092,,k2", "KAFKA_BOOTSTRAP_SERVERS must be"),
    ("TRANSACTIONS_TOPIC", "t" * 250, "TRANSACTIONS_TOPIC must be a Kafka topic name"),
    ("FRAUD_TOPIC", "fraud alerts", "FRAUD_TOPIC must be a Kafka topic name"),
    ("DEADLETTER_TOPIC", "..", "DEADLETTER_TOPIC must be a Kafka topic name"),
    ("LEGIT_TOPIC", "queuing.transactions", "TRANSACTIONS_TOPIC and LEGIT_TOPIC must"),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR"),
    ("LOG_FORMAT", "xml", "LOG_FORMAT must be one of plain, json"),
    ("ALERT_WEBHOOK_URL", "https://", "ALERT_WEBHOOK_URL must be an http:// or"),
    # Empty values are errors where the default is not itself empty.
    ("KAFKA_BOOTSTRAP_SERVERS", "", "KAFKA_BOOTSTRAP_SERVERS is set but empty"),
    ("REDIS_URL", " ", "REDIS_URL is set but empty"),
    ("DATABASE_URL", "", "DATABASE_URL is set but empty"),
    ("DETECTOR_BATCH_SIZE", "", "DETECTOR_BATCH_SIZE is set but empty"),
    ("TRANSACTIONS_TOPIC", "", "TRANSACTIONS_TOPIC is set but empty"),
    ("DJANGO_DEBUG", "", "DJANGO_DEBUG is set but empty"),
    ("LOG_LEVEL", "", "LOG_LEVEL is set but empty"),
    ("ALLOWED_HOSTS", "", "ALLOWED_HOSTS is set but empty"),
    ("ALLOWED_HOSTS", ",", "ALLOWED_HOSTS must list at least one value"),
    ("SECRET_KEY", "", "SECRET_KEY is required (it is set but empty)"),
    (
        "KAFKA_MIN_INSYNC_REPLICAS",
        "2",
        "KAFKA_MIN_INSYNC_REPLICAS must be between 1 and 1 (at most "
        "KAFKA_REPLICATION_FACTOR), got 2.",
    ),
    ("KAFKA_MIN_INSYNC_REPLICAS", "0", "KAFKA_MIN_INSYNC_REPLICAS must be between"),
]


def start(**env) -> subprocess.CompletedProcess:
    """``manage.py version`` in a fresh process: it loads the settings and
    does nothing else. Only ``env`` (and a secret key) is set of the
    table's variables."""
    env = {"SECRET_KEY": "k"} | env
    return run_python(["manage.py", "version"], without=TABLE_VARIABLES, **env)


@pytest.mark.parametrize(("variable", "value", "message"), BAD_VALUES)
def test_a_bad_value_stops_start_up_naming_the_variable_and_range(
    variable, value, message
):
    """Start-up fails at once with one line naming the variable and what it
    accepts; no traceback."""
    result = start(**{variable: value})
    assert result.returncode != 0
    assert result.stderr.startswith("Configuration error: "), result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def settings_at(**env) -> dict:
    """The named settings, as loaded in a fresh process with ``env``."""
    names = sorted(env)
    code = (
        "import json; import fraudsite.settings as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {names!r}}}))"
    )
    result = run_python(
        ["-c", code], without=TABLE_VARIABLES, **({"SECRET_KEY": "k"} | env)
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_every_value_at_a_lower_limit_is_accepted():
    at_limits = {name: low for name, (low, _, _) in BOUNDED.items()}
    at_limits |= {name: "0.001" for name in POSITIVE}
    loaded = settings_at(**at_limits, DETECTION_REVIEW_SCORE="1")
    assert loaded == {
        name: float(value) if name in POSITIVE else int(value)
        for name, value in (at_limits | {"DETECTION_REVIEW_SCORE": "1"}).items()
    }


def test_every_value_at_an_upper_limit_is_accepted():
    at_limits = {name: high for name, (_, high, _) in BOUNDED.items() if high}
    loaded = settings_at(
        **at_limits,
        DETECTION_REVIEW_SCORE="2147483647",
        TRANSACTIONS_TOPIC="t" * 249,
        REDIS_URL="redis://127.0.0.1:65535/15",
        KAFKA_BOOTSTRAP_SERVERS="k1:65535,[::1]:1,SASL_SSL://k3",
    )
    assert loaded == {name: int(value) for name, value in at_limits.items()} | {
        "DETECTION_REVIEW_SCORE": 2147483647,
        "TRANSACTIONS_TOPIC": "t" * 249,
        "REDIS_URL": "redis://127.0.0.1:65535/15",
        "KAFKA_BOOTSTRAP_SERVERS": "k1:65535,[::1]:1,SASL_SSL://k3",
    }


def test_an_empty_value_means_off_where_the_default_is_off():
    """Settings whose default is empty ("off") take an empty value as unset:
    docker-compose passes them through as ``${NAME:-}``."""
    empty = {
        "ALERT_WEBHOOK_URL": "",
        "ALERT_WEBHOOK_SECRET": "",
        "METRICS_TOKEN": "",
        "DETECTOR_INSTANCE_ID": "",
        "CSRF_TRUSTED_ORIGINS": "",
        "KAFKA_SASL_USERNAME": "",
    }
    loaded = settings_at(**empty, ALERT_EMAILS=" ")
    assert loaded == {name: "" for name in empty} | {
        "ALERT_EMAILS": [],
        "CSRF_TRUSTED_ORIGINS": [],
        "KAFKA_SASL_USERNAME": None,
    }


def test_the_receivers_topic_follows_the_input_topic_and_fits_kafkas_limit():
    short = load_settings(SECRET_KEY="k", TRANSACTIONS_TOPIC="payments.in")
    assert short.values["RECEIVERS_TOPIC"] == "payments.in.receivers"
    longest = load_settings(SECRET_KEY="k", TRANSACTIONS_TOPIC="t" * 249)
    assert longest.returncode == 0, longest.stderr
    assert longest.values["RECEIVERS_TOPIC"] == "t" * 239 + ".receivers"


def test_writes_wait_for_all_replicas_but_one_by_default():
    """Three replicas: two must hold a write; as many as there are
    replicas is allowed, one more is refused naming both variables."""
    assert settings_at(KAFKA_REPLICATION_FACTOR="3", KAFKA_MIN_INSYNC_REPLICAS="2") == {
        "KAFKA_REPLICATION_FACTOR": 3,
        "KAFKA_MIN_INSYNC_REPLICAS": 2,
    }
    code = "import fraudsite.settings as s; print(s.KAFKA_MIN_INSYNC_REPLICAS)"
    defaulted = run_python(
        ["-c", code],
        without=TABLE_VARIABLES,
        SECRET_KEY="k",
        KAFKA_REPLICATION_FACTOR="3",
    )
    assert defaulted.stdout.strip() == "2", defaulted.stderr
    assert (
        settings_at(KAFKA_REPLICATION_FACTOR="3", KAFKA_MIN_INSYNC_REPLICAS="3")[
            "KAFKA_MIN_INSYNC_REPLICAS"
        ]
        == 3
    )
    refused = start(KAFKA_REPLICATION_FACTOR="3", KAFKA_MIN_INSYNC_REPLICAS="4")
    assert (
        "KAFKA_MIN_INSYNC_REPLICAS must be between 1 and 3 (at most " in refused.stderr
    )
