"""How the Kafka clients authenticate, from the environment.

``kafka_security_from_env`` turns the ``KAFKA_SECURITY_PROTOCOL``,
``KAFKA_SASL_*`` and ``KAFKA_SSL_*`` variables into librdkafka settings
(``security.protocol``, ``sasl.*``, ``ssl.*``). Every producer, consumer
and admin client gets them, so a managed Kafka that demands SASL or TLS
works everywhere or nowhere. A setting that cannot work, or one that would
be silently ignored (a password with ``PLAINTEXT``), stops start-up with a
message naming the variable.
"""

import os
from pathlib import Path

from .env import SettingError, env_choice, env_str

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
SASL_VARIABLES = ("KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD")
SSL_VARIABLES = (
    "KAFKA_SSL_CA_LOCATION",
    "KAFKA_SSL_CERTIFICATE_LOCATION",
    "KAFKA_SSL_KEY_LOCATION",
    "KAFKA_SSL_KEY_PASSWORD",
)


def kafka_security_from_env() -> dict[str, str]:
    """The librdkafka security settings the environment asks for.

    ``PLAINTEXT`` (the default) needs nothing else; ``SASL_*`` protocols
    need a mechanism, a username and a password; ``SSL`` protocols may name
    a CA file (otherwise librdkafka's default trust store) and a client
    certificate with its key. Raises ``SettingError`` naming the variable.
    """
    protocol = env_choice("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT", SECURITY_PROTOCOLS)
    config = {"security.protocol": protocol}
    uses_sasl = protocol.startswith("SASL_")
    uses_ssl = protocol.endswith("SSL")
    _refuse_unused(SASL_VARIABLES, protocol, used=uses_sasl)
    _refuse_unused(SSL_VARIABLES, protocol, used=uses_ssl)
    if uses_sasl:
        config |= _sasl_config(protocol)
    if uses_ssl:
        config |= _ssl_config()
    return config


def _sasl_config(protocol: str) -> dict[str, str]:
    required = f"required with KAFKA_SECURITY_PROTOCOL={protocol}"
    return {
        "sasl.mechanism": env_choice("KAFKA_SASL_MECHANISM", None, SASL_MECHANISMS),
        "sasl.username": _required("KAFKA_SASL_USERNAME", required),
        "sasl.password": _required("KAFKA_SASL_PASSWORD", required),
    }


def _ssl_config() -> dict[str, str]:
    config = {}
    ca = env_str("KAFKA_SSL_CA_LOCATION", "")
    if ca:
        config["ssl.ca.location"] = _existing_file("KAFKA_SSL_CA_LOCATION", ca)
    certificate = env_str("KAFKA_SSL_CERTIFICATE_LOCATION", "")
    key = env_str("KAFKA_SSL_KEY_LOCATION", "")
    if bool(certificate) != bool(key):
        raise SettingError(
            "KAFKA_SSL_CERTIFICATE_LOCATION and KAFKA_SSL_KEY_LOCATION go "
            "together: set both for a client certificate, or neither."
        )
    if certificate:
        config["ssl.certificate.location"] = _existing_file(
            "KAFKA_SSL_CERTIFICATE_LOCATION", certificate
        )
        config["ssl.key.location"] = _existing_file("KAFKA_SSL_KEY_LOCATION", key)
    key_password = env_str("KAFKA_SSL_KEY_PASSWORD", "")
    if key_password:
        config["ssl.key.password"] = key_password
    return config


def _required(name: str, reason: str) -> str:
    try:
        return env_str(name)
    except SettingError:
        raise SettingError(f"The environment variable {name} is {reason}.") from None


def _existing_file(name: str, path: str) -> str:
    if not (Path(path).is_file() and os.access(path, os.R_OK)):
        raise SettingError(f"{name} names no readable file: {path!r}.")
    return path


def _refuse_unused(names: tuple[str, ...], protocol: str, *, used: bool) -> None:
    """A credential the chosen protocol would ignore is a mistake: the
    client would connect without the security its operator asked for."""
    if used:
        return
    for name in names:
        if env_str(name, ""):
            raise SettingError(
                f"{name} is set but KAFKA_SECURITY_PROTOCOL is {protocol}, "
                f"which does not use it; choose a protocol that does, or "
                f"unset {name}."
            )
