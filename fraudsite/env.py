"""The one reader of environment variables for the project's settings.

Every setting that comes from the environment is read through these
functions, so a missing or malformed value always produces an error that
names the variable instead of a confusing failure somewhere later.
"""

import os


class SettingError(ValueError):
    """A configuration value from the environment is missing or malformed."""


def env_str(name: str, default: str | None = None) -> str:
    """Return the variable ``name``, or ``default`` when unset or empty.

    Raises ``SettingError`` naming the variable when it is unset and has no
    default, which is how required settings (e.g. ``SECRET_KEY`` in
    production) announce themselves.
    """
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if default is None:
        raise SettingError(f"The environment variable {name} is required.")
    return default


def env_float(name: str, default: float) -> float:
    """Return the variable ``name`` as a finite float (``default`` if unset)."""
    raw = env_str(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise SettingError(f"{name} must be a number, got {raw!r}.") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise SettingError(f"{name} must be a finite number, got {raw!r}.")
    return value


def env_int(name: str, default: int) -> int:
    """Return the variable ``name`` as an integer (``default`` if unset)."""
    raw = env_str(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise SettingError(f"{name} must be an integer, got {raw!r}.") from None


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
    """Return the comma-separated variable ``name`` as a list of strings."""
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]
