"""The one reader of environment variables for the project's settings.

Every setting that comes from the environment is read through these
functions, so a missing, malformed or out-of-range value stops start-up
with an error that names the variable (and the accepted range) instead of
a confusing failure somewhere later.

The rule for empty values: a variable that is set but empty (or only
blanks) is an error, unless the setting's default is itself empty, which
means "off" (``ALERT_WEBHOOK_URL``, ``METRICS_TOKEN``, ``KAFKA_SASL_*``…):
there an empty value is the same as unset. An empty value never silently
stands for a non-empty default (``KAFKA_BOOTSTRAP_SERVERS=`` is refused,
not taken to mean ``127.0.0.1:9092``).

URL values are never echoed in messages: they may carry a password.
"""

import os
import re
from collections.abc import Mapping
from urllib.parse import SplitResult, urlsplit


class SettingError(ValueError):
    """A configuration value from the environment is missing or malformed."""


def env_str(name: str, default: str | None = None) -> str:
    """Return the variable ``name``, or ``default`` when unset.

    Raises ``SettingError`` naming the variable when it is unset and has no
    default, which is how required settings (e.g. ``SECRET_KEY`` in
    production) announce themselves, and when it is set but empty while
    the default is not empty (see the module's rule for empty values).
    """
    raw = os.environ.get(name)
    value = "" if raw is None else raw.strip()
    if value:
        return value
    if default is None:
        empty = "" if raw is None else " (it is set but empty)"
        raise SettingError(f"The environment variable {name} is required{empty}.")
    if raw is not None and default != "":
        raise SettingError(
            f"{name} is set but empty: give it a value, or unset it to use "
            f"the default ({default})."
        )
    return default


def env_choice(name: str, default: str | None, allowed: tuple[str, ...]) -> str:
    """The variable ``name``, one of ``allowed`` (compared without regard
    to case, returned as spelled in ``allowed``); ``default`` None makes it
    required."""
    choices = ", ".join(allowed)
    if default is None and not os.environ.get(name, "").strip():
        raise SettingError(
            f"The environment variable {name} is required: one of {choices}."
        )
    value = env_str(name, default)
    spelled = {choice.casefold(): choice for choice in allowed}
    if value.casefold() not in spelled:
        raise SettingError(f"{name} must be one of {choices}, got {value!r}.")
    return spelled[value.casefold()]


def env_float(
    name: str,
    default: float,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
    why: str = "",
) -> float:
    """The variable ``name`` as a finite float (``default`` if unset), at
    least ``minimum``, more than ``above`` and at most ``maximum`` when
    given; ``why`` explains a bound in the error message."""
    raw = env_str(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise SettingError(f"{name} must be a number, got {raw!r}.") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise SettingError(f"{name} must be a finite number, got {raw!r}.")
    _check_bounds(name, value, raw, minimum, maximum, above, why)
    return value


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    why: str = "",
) -> int:
    """The variable ``name`` as an integer (``default`` if unset), between
    ``minimum`` and ``maximum`` (inclusive) when given."""
    raw = env_str(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name} must be an integer, got {raw!r}.") from None
    _check_bounds(name, value, raw, minimum, maximum, None, why)
    return value


def env_port(name: str, default: int, *, zero_is_off: bool = False) -> int:
    """A TCP port, 1 to 65535 (0 too when ``zero_is_off``)."""
    return env_int(name, default, minimum=0 if zero_is_off else 1, maximum=65535)


def _check_bounds(name, value, raw, minimum, maximum, above, why) -> None:
    low_ok = (minimum is None or value >= minimum) and (above is None or value > above)
    if low_ok and (maximum is None or value <= maximum):
        return
    note = f" ({why})" if why else ""
    raise SettingError(
        f"{name} must be {_range(minimum, maximum, above)}{note}, got {raw}."
    )


def _range(minimum, maximum, above) -> str:
    """The accepted range in words: "between 1 and 100000", "0 or more",
    "more than 0"."""
    if above is not None:
        low = f"more than {_show(above)}"
        return low if maximum is None else f"{low} and at most {_show(maximum)}"
    if minimum is not None and maximum is not None:
        return f"between {_show(minimum)} and {_show(maximum)}"
    if minimum is not None:
        return f"{_show(minimum)} or more"
    return f"{_show(maximum)} or less"


def _show(bound: float) -> str:
    return f"{bound:g}" if isinstance(bound, float) else str(bound)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    """Return the variable ``name`` as a boolean (``default`` if unset)."""
    raw = env_str(name, "true" if default else "false").lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingError(f"{name} must be one of true/false/1/0/yes/no, got {raw!r}.")


def env_list(name: str, default: str = "") -> list[str]:
    """Return the comma-separated variable ``name`` as a list of strings;
    a list that must not be empty (a non-empty default) refuses ``,``."""
    items = [item.strip() for item in env_str(name, default).split(",")]
    items = [item for item in items if item]
    if not items and default:
        raise SettingError(f"{name} must list at least one value, got nothing.")
    return items


# Kafka's own rule for topic names (kafka.common.internals.Topic).
_TOPIC = re.compile(r"[A-Za-z0-9._-]{1,249}")


def env_topic(name: str, default: str) -> str:
    """A Kafka topic name: 1 to 249 letters, digits, ``.``, ``_`` or ``-``,
    and neither ``.`` nor ``..``."""
    value = env_str(name, default)
    if not _TOPIC.fullmatch(value) or value in (".", ".."):
        raise SettingError(
            f"{name} must be a Kafka topic name: 1 to 249 letters, digits, "
            f"'.', '_' or '-' (not '.' or '..'), got {value!r}."
        )
    return value


def require_distinct(values: Mapping[str, str]) -> None:
    """Raise ``SettingError`` when two of the named settings have one value
    (e.g. an output topic that is also the input topic)."""
    seen: dict[str, str] = {}
    for name, value in values.items():
        if value in seen:
            raise SettingError(
                f"{seen[value]} and {name} must differ, both are {value!r}."
            )
        seen[value] = name


# host:port, host, [v6]:port, optionally after a protocol:// prefix.
_BROKER = re.compile(r"(?:[A-Za-z_]+://)?(\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+)(?::(\d+))?")


def env_host_ports(name: str, default: str) -> str:
    """A comma-separated list of ``host:port`` addresses (librdkafka's
    ``bootstrap.servers``), each port 1 to 65535."""
    value = env_str(name, default)
    for entry in value.split(","):
        match = _BROKER.fullmatch(entry.strip())
        if not match or not 1 <= int(match.group(2) or 1) <= 65535:
            raise SettingError(
                f"{name} must be host:port addresses separated by commas, "
                f"each port between 1 and 65535, got {value!r}."
            )
    return value


REDIS_EXAMPLE = "redis://127.0.0.1:6379/0"


def env_redis_url(name: str, default: str) -> str:
    """A Redis URL: ``redis://`` or ``rediss://`` with a host, a port 1 to
    65535 when given and a numeric database; or ``unix://`` with a path."""
    url = env_str(name, default)
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise SettingError(
            f"{name} must be a redis://, rediss:// or unix:// URL, "
            f"e.g. {REDIS_EXAMPLE}."
        )
    if parts.scheme == "unix":
        if not parts.path:
            raise SettingError(f"{name} must name a socket: unix:///path/redis.sock.")
        return url
    _require_host_and_port(name, parts, REDIS_EXAMPLE)
    database = parts.path.strip("/")
    if database and not database.isdigit():
        raise SettingError(
            f"The database in {name} must be a number (the path, e.g. /0)."
        )
    return url


def env_http_url(name: str) -> str:
    """An ``http://`` or ``https://`` URL with a host, or empty (off)."""
    url = env_str(name, "")
    parts = urlsplit(url)
    if url and (parts.scheme not in ("http", "https") or not parts.hostname):
        raise SettingError(f"{name} must be an http:// or https:// URL.")
    return url


DATABASE_EXAMPLE = "postgres://fraud:fraud@127.0.0.1:5432/fraud"


def env_database_url(name: str, default: str, *, conn_max_age: int) -> dict:
    """Django's database settings from a ``postgres://`` (or, for a quick
    look, ``sqlite://``) URL; dj-database-url's errors are reported as a
    ``SettingError`` naming the variable."""
    import dj_database_url  # only the settings need it, not the health check

    url = env_str(name, default)
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql", "sqlite"):
        raise SettingError(
            f"{name} must be a postgres:// URL (or sqlite:// for a quick look), "
            f"e.g. {DATABASE_EXAMPLE}."
        )
    if parts.scheme != "sqlite":
        _require_host_and_port(name, parts, DATABASE_EXAMPLE)
        if not parts.path.strip("/"):
            raise SettingError(
                f"{name} must name the database, e.g. {DATABASE_EXAMPLE}."
            )
    try:
        return dj_database_url.parse(url, conn_max_age=conn_max_age)
    except ValueError as error:  # dj-database-url's ParseError among them
        raise SettingError(f"{name} is not a valid database URL: {error}") from None


def _require_host_and_port(name: str, parts: SplitResult, example: str) -> None:
    try:
        port = parts.port
    except ValueError:
        port = 0
    if not parts.hostname:
        raise SettingError(f"{name} must name a host, e.g. {example}.")
    if port == 0:
        raise SettingError(
            f"The port in {name} must be between 1 and 65535, e.g. {example}."
        )
