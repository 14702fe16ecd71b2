"""Argument types the management commands share."""

from collections.abc import Callable
from datetime import datetime

from django.core.management.base import CommandError

from ..detection.clock import utc_moment


def iso_time(option: str) -> Callable[[str], datetime]:
    """An argument type for ``option``: an ISO 8601 time (UTC when it names
    no zone), or a ``CommandError`` naming the option."""

    def parse(value: str) -> datetime:
        try:
            return utc_moment(value)
        except (ValueError, OverflowError):
            raise CommandError(f"{option} is not an ISO 8601 time: {value!r}") from None

    return parse


def positive_int(option: str) -> Callable[[str], int]:
    """An argument type for ``option``: a whole number of at least 1, or a
    ``CommandError`` naming the option."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = 0
        if number < 1:
            raise CommandError(
                f"{option} must be a whole number of at least 1: {value!r}"
            )
        return number

    return parse
