"""docker-compose.yml: no Docker engine runs here, so the file is parsed and
its services and wiring are checked."""

import re
from pathlib import Path

import pytest
import yaml

from tests.fresh_process import run_python

COMPOSE = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "docker-compose.yml").read_text()
)
SERVICES = COMPOSE["services"]
APP_SERVICES = ["setup", "web", "producer", "detector", "worker", "beat"]
LONG_RUNNING = [name for name in APP_SERVICES if name != "setup"]


def test_has_every_service():
    """Kafka, Redis, PostgreSQL and each part of the application."""
    assert {"kafka", "redis", "postgres", *APP_SERVICES} <= set(SERVICES)


def test_kafka_is_the_official_image_in_kraft_mode():
    """The broker is apache/kafka 4.1, one node as broker and controller."""
    kafka = SERVICES["kafka"]
    assert kafka["image"].startswith("apache/kafka:4.1")
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert env["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] == 0


@pytest.mark.parametrize("name", APP_SERVICES)
def test_application_services_are_wired_to_the_same_backends(name):
    """Every application service gets the same environment, pointing at the
    compose services by name, and starts after the one-shot setup."""
    service = SERVICES[name]
    env = service["environment"]
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "${KAFKA_BOOTSTRAP_SERVERS:-kafka:9092}"
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert env["DATABASE_URL"].startswith("postgres://")
    assert "@postgres:5432/" in env["DATABASE_URL"]
    for variable, default in [
        ("TRANSACTIONS_TOPIC", "queuing.transactions"),
        ("LEGIT_TOPIC", "queuing.legit"),
        ("FRAUD_TOPIC", "queuing.fraud"),
        ("DEADLETTER_TOPIC", "queuing.deadletter"),
        ("RECEIVERS_TOPIC", "queuing.transactions.receivers"),
    ]:
        assert env[variable] == default
    assert service["build"] == "."
    if name != "setup":
        assert service["depends_on"]["setup"]["condition"] == (
            "service_completed_successfully"
        )


def test_setup_waits_for_healthy_backends_and_prepares_everything():
    """The one-shot setup migrates, creates topics and the admin login once
    the backends are healthy."""
    setup = SERVICES["setup"]
    for backend in ("kafka", "redis", "postgres"):
        assert setup["depends_on"][backend]["condition"] == "service_healthy"
        assert "healthcheck" in SERVICES[backend]
    for command in ("migrate", "createtopics", "ensureadmin"):
        assert command in setup["command"]


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("web", "daphne"),
        ("producer", "runproducer"),
        ("detector", "rundetector"),
        ("worker", "celery -A fraudsite worker"),
        ("beat", "celery -A fraudsite beat"),
    ],
)
def test_each_process_runs_its_command(name, command):
    assert command in SERVICES[name]["command"]


def test_postgres_credentials_match_the_database_url():
    postgres = SERVICES["postgres"]["environment"]
    url = SERVICES["web"]["environment"]["DATABASE_URL"]
    user, password, db = (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
    )
    assert url == f"postgres://{user}:{password}@postgres:5432/{db}"


def test_the_web_port_is_published_on_loopback_only_at_web_port():
    """WEB_PORT picks the host port, so two checkouts can run side by side;
    inside the container the image's 8000 stays, which the web command
    serves and the health check (no WEB_PORT in the container) probes."""
    assert SERVICES["web"]["ports"] == ["127.0.0.1:${WEB_PORT:-8000}:8000"]
    assert "-p 8000 " in SERVICES["web"]["command"]
    assert "WEB_PORT" not in SERVICES["web"]["environment"]
    assert SERVICES["web"]["healthcheck"]["test"] == [
        "CMD",
        "python",
        "-m",
        "fraudsite.healthcheck",
    ]


@pytest.mark.parametrize(
    "variable",
    [
        "KAFKA_SECURITY_PROTOCOL",
        "KAFKA_SASL_MECHANISM",
        "KAFKA_SASL_USERNAME",
        "KAFKA_SASL_PASSWORD",
        "KAFKA_SSL_CA_LOCATION",
        "ALERT_EMAILS",
        "ALERT_WEBHOOK_URL",
        "ALERT_WEBHOOK_SECRET",
        "REVIEW_SLA_HOURS",
        "RETENTION_DAYS",
    ],
)
def test_kafka_security_and_alert_settings_come_from_the_host(variable):
    """A managed Kafka, webhook alerts, the SLA and the retention are set
    where compose runs, for every app service alike."""
    for name in ("web", "producer", "detector", "worker", "beat", "setup"):
        value = SERVICES[name]["environment"][variable]
        assert value.startswith("${" + variable + ":-"), (name, value)


def test_the_secret_key_must_come_from_the_environment():
    """No default key: compose refuses to start without SECRET_KEY."""
    key = SERVICES["web"]["environment"]["SECRET_KEY"]
    assert key.startswith("${SECRET_KEY:?")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_application_services_run_the_image_built_here(name):
    """One Dockerfile, one image, every process."""
    service = SERVICES[name]
    assert service["build"] == "."
    assert service["image"] == SERVICES["web"]["image"]


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_restart_and_are_watched(name):
    """Each process comes back after a crash, and either answers a health
    check of its own or starts only once what it needs is healthy."""
    service = SERVICES[name]
    assert service["restart"] == "unless-stopped"
    healthcheck = service.get("healthcheck", {})
    if healthcheck.get("disable"):
        healthy = [
            dependency
            for dependency, condition in service["depends_on"].items()
            if condition["condition"] == "service_healthy"
        ]
        assert healthy, f"{name} has no health check and waits for nothing healthy"
    else:
        assert healthcheck["test"][0] in ("CMD", "CMD-SHELL")
        assert {"interval", "timeout", "retries"} <= set(healthcheck)


def test_setup_runs_once():
    assert SERVICES["setup"]["restart"] == "no"


@pytest.mark.parametrize(
    ("name", "probe"),
    [
        ("web", "fraudsite.healthcheck"),
        ("detector", "http://127.0.0.1:9100/healthz"),
        ("worker", "inspect ping"),
    ],
)
def test_health_checks_probe_the_process_itself(name, probe):
    """The web app's /healthz, the detector's /healthz on its metrics port
    (which the command must open) and a ping answered by this very
    worker."""
    assert probe in " ".join(SERVICES[name]["healthcheck"]["test"])
    if name == "detector":
        assert "--metrics-port 9100" in SERVICES[name]["command"]


def test_beat_keeps_its_schedule_where_the_app_user_may_write():
    assert "--schedule /tmp/" in SERVICES["beat"]["command"]


SECRET = re.compile(r"PASSWORD|SECRET|TOKEN|KEY", re.IGNORECASE)
DEFAULTED = re.compile(r"\$\{(\w+):?-([^}]*)\}")


def every_environment():
    for name, service in SERVICES.items():
        for variable, value in (service.get("environment") or {}).items():
            yield name, variable, str(value)


def test_no_secret_has_a_default():
    """Secrets are required (``${NAME:?...}``) or empty by default (the
    admin password is then generated); none is written into the file."""
    for service, variable, value in every_environment():
        for name, default in DEFAULTED.findall(value):
            if SECRET.search(name):
                assert default == "", f"{service}: {name} defaults to {default!r}"
        if SECRET.search(variable) and "${" not in value:
            pytest.fail(f"{service}: {variable} is written into the file")


def test_the_database_password_is_required_and_shared():
    url = SERVICES["web"]["environment"]["DATABASE_URL"]
    password = SERVICES["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert password.startswith("${POSTGRES_PASSWORD:?")
    assert f":{password}@postgres:5432/" in url


def as_compose_passes_it(value: str) -> str:
    """The value compose gives the container when the host sets nothing
    but the two required secrets."""
    value = re.sub(r"\$\{(\w+):\?[^}]*\}", lambda m: f"required-{m[1].lower()}", value)
    return DEFAULTED.sub(lambda m: m[2], value)


def test_the_settings_accept_what_compose_passes_by_default():
    """Empty pass-throughs (``${NAME:-}``) are settings that are off when
    empty; none of them stops start-up under the rule for empty values."""
    env = {
        variable: as_compose_passes_it(str(value))
        for variable, value in SERVICES["web"]["environment"].items()
    }
    assert "" in env.values()
    code = "import fraudsite.settings as s; print(s.KAFKA_BOOTSTRAP_SERVERS)"
    result = run_python(["-c", code], without=tuple(env), **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["kafka:9092"]
