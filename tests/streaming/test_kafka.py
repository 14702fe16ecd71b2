"""The adapter's connection: every client gets the security settings, and
only refused credentials, TLS failures and a client librdkafka declared
dead stop it (pure, no broker)."""

import pytest
from confluent_kafka import KafkaError

from transactions_app.streaming.kafka import (
    KafkaClientFailed,
    KafkaConnection,
    KafkaSecurityError,
    is_fatal,
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


@pytest.mark.parametrize(
    "error",
    [
        KafkaError(KafkaError._FATAL, "Fatal error: Broker: Static consumer fenced"),
        KafkaError(KafkaError.FENCED_INSTANCE_ID, "Static consumer fenced"),
        KafkaError(KafkaError._TRANSPORT, "out of sequence", fatal=True),
    ],
    ids=["fatal-marker", "fenced-instance", "flagged-fatal"],
)
def test_an_error_that_kills_the_client_is_raised_out_of_the_callback(error):
    """A dead client must not be waited on: the callback raises, so the
    call that served it (``consume``, ``poll``, ``flush``) does too."""
    assert is_fatal(error)
    with pytest.raises(KafkaClientFailed, match=error.str()):
        on_client_error(error)


@pytest.mark.parametrize(
    "code", [KafkaError.UNKNOWN_MEMBER_ID, KafkaError.REBALANCE_IN_PROGRESS]
)
def test_group_errors_librdkafka_recovers_from_are_not_fatal(code):
    assert not is_fatal(KafkaError(code, "rejoining"))
