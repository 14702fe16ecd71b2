"""The adapter's connection: every client gets the security settings, and
only refused credentials or TLS failures are fatal (pure, no broker)."""

import pytest
from confluent_kafka import KafkaError

from transactions_app.streaming.kafka import (
    KafkaConnection,
    KafkaSecurityError,
    on_client_error,
    security_failure,
)


def test_every_client_config_carries_the_security_settings():
    connection = KafkaConnection("k1:9093", {"security.protocol": "SASL_SSL"})
    config = connection.config()
    assert config["bootstrap.servers"] == "k1:9093"
    assert config["security.protocol"] == "SASL_SSL"
    assert config["error_cb"] is on_client_error


def test_the_password_stays_out_of_the_repr():
    connection = KafkaConnection("k1:9093", {"sasl.password": "s3cret"})
    assert "s3cret" not in repr(connection)


@pytest.mark.parametrize(
    ("code", "reason", "failure"),
    [
        (KafkaError._AUTHENTICATION, "bad password", "Kafka authentication failed"),
        (KafkaError.SASL_AUTHENTICATION_FAILED, "no", "Kafka authentication failed"),
        (KafkaError._SSL, "certificate verify failed", "Kafka TLS handshake failed"),
        (
            KafkaError._TRANSPORT,
            "SSL handshake failed: connecting to a PLAINTEXT broker listener?",
            "Kafka TLS handshake failed",
        ),
    ],
)
def test_refused_credentials_and_tls_failures_are_fatal(code, reason, failure):
    error = KafkaError(code, reason)
    assert security_failure(error) == f"{failure}: {reason}"
    with pytest.raises(KafkaSecurityError, match=failure):
        on_client_error(error)


@pytest.mark.parametrize(
    "code", [KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN, KafkaError._RESOLVE]
)
def test_a_broker_that_is_down_is_only_logged(code, caplog):
    error = KafkaError(code, "Connection refused")
    assert security_failure(error) is None
    on_client_error(error)
    assert "kafka: Connection refused" in caplog.text
