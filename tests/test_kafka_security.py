"""Kafka security settings come from the environment; a setting that cannot
work, or one that would be silently ignored, names itself."""

import pytest

from fraudsite.env import SettingError
from fraudsite.kafka_security import kafka_security_from_env

VARIABLES = (
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD",
    "KAFKA_SSL_CA_LOCATION",
    "KAFKA_SSL_CERTIFICATE_LOCATION",
    "KAFKA_SSL_KEY_LOCATION",
    "KAFKA_SSL_KEY_PASSWORD",
)
SASL = {
    "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
    "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "KAFKA_SASL_USERNAME": "detector",
    "KAFKA_SASL_PASSWORD": "s3cret",
}


@pytest.fixture
def environment(monkeypatch):
    """Sets exactly the given Kafka security variables, all others unset."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def set_variables(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_variables


@pytest.fixture
def pem_file(tmp_path):
    path = tmp_path / "ca.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\n")
    return str(path)


def test_plaintext_is_the_default(environment):
    environment()
    assert kafka_security_from_env() == {"security.protocol": "PLAINTEXT"}


def test_sasl_settings_become_librdkafka_settings(environment):
    environment(**SASL | {"KAFKA_SECURITY_PROTOCOL": "sasl_plaintext"})
    assert kafka_security_from_env() == {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "detector",
        "sasl.password": "s3cret",
    }


def test_sasl_ssl_takes_a_ca_file_and_a_client_certificate(environment, pem_file):
    environment(
        **SASL
        | {
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SSL_CA_LOCATION": pem_file,
            "KAFKA_SSL_CERTIFICATE_LOCATION": pem_file,
            "KAFKA_SSL_KEY_LOCATION": pem_file,
            "KAFKA_SSL_KEY_PASSWORD": "k3y",
        }
    )
    config = kafka_security_from_env()
    assert config["security.protocol"] == "SASL_SSL"
    assert config["sasl.username"] == "detector"
    assert config["ssl.ca.location"] == pem_file
    assert config["ssl.certificate.location"] == pem_file
    assert config["ssl.key.location"] == pem_file
    assert config["ssl.key.password"] == "k3y"


def test_ssl_alone_needs_no_ca_file(environment):
    environment(KAFKA_SECURITY_PROTOCOL="SSL")
    assert kafka_security_from_env() == {"security.protocol": "SSL"}


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"KAFKA_SECURITY_PROTOCOL": "TLS"},
            "KAFKA_SECURITY_PROTOCOL must be one of PLAINTEXT, SSL, "
            "SASL_PLAINTEXT, SASL_SSL, got 'TLS'",
        ),
        (
            SASL | {"KAFKA_SASL_MECHANISM": "GSSAPI"},
            "KAFKA_SASL_MECHANISM must be one of PLAIN, SCRAM-SHA-256, "
            "SCRAM-SHA-512, got 'GSSAPI'",
        ),
        (
            SASL | {"KAFKA_SASL_MECHANISM": ""},
            "KAFKA_SASL_MECHANISM is required: one of PLAIN",
        ),
        (
            SASL | {"KAFKA_SASL_USERNAME": ""},
            "KAFKA_SASL_USERNAME is required with "
            "KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT",
        ),
        (
            SASL | {"KAFKA_SASL_PASSWORD": " "},
            "KAFKA_SASL_PASSWORD is required with "
            "KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT",
        ),
        (
            {"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CA_LOCATION": "/no/ca.pem"},
            "KAFKA_SSL_CA_LOCATION names no readable file: '/no/ca.pem'",
        ),
        (
            {"KAFKA_SASL_PASSWORD": "s3cret"},
            "KAFKA_SASL_PASSWORD is set but KAFKA_SECURITY_PROTOCOL is PLAINTEXT",
        ),
        (
            SASL | {"KAFKA_SSL_CA_LOCATION": "/etc/hostname"},
            "KAFKA_SSL_CA_LOCATION is set but KAFKA_SECURITY_PROTOCOL is "
            "SASL_PLAINTEXT",
        ),
    ],
)
def test_settings_that_cannot_work_name_themselves(environment, variables, message):
    environment(**variables)
    with pytest.raises(SettingError) as error:
        kafka_security_from_env()
    assert message in str(error.value)


def test_a_client_certificate_needs_its_key(environment, pem_file):
    environment(KAFKA_SECURITY_PROTOCOL="SSL", KAFKA_SSL_CERTIFICATE_LOCATION=pem_file)
    with pytest.raises(SettingError, match="KAFKA_SSL_KEY_LOCATION go together"):
        kafka_security_from_env()


def test_django_error_reports_hide_the_credentials(settings):
    """The debug page and error e-mails show settings; the SASL password
    and the key password inside ``KAFKA_SECURITY`` are masked there."""
    from django.views.debug import SafeExceptionReporterFilter

    settings.KAFKA_SECURITY = {
        "security.protocol": "SASL_SSL",
        "sasl.password": "s3cret",
        "ssl.key.password": "k3y",
    }
    shown = SafeExceptionReporterFilter().get_safe_settings()["KAFKA_SECURITY"]
    assert shown["security.protocol"] == "SASL_SSL"
    assert "s3cret" not in str(shown)
    assert "k3y" not in str(shown)
