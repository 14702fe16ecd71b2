"""The wall clock, for the callers that pass the engine, the detector loop
or a generator their clock: everything here takes the time as a value."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)
