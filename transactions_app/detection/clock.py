"""The wall clock, for the callers that pass the engine, the detector loop
or a generator their clock: everything here takes the time as a value."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)


def utc_moment(text: str) -> datetime:
    """An ISO 8601 time as an aware UTC datetime, a naive one taken as UTC
    (as the wire format does); raises ``ValueError`` or ``OverflowError``
    for text that is not one."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
