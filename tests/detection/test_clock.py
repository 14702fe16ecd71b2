"""Times read from text: UTC when they name no zone."""

from datetime import UTC, datetime

import pytest

from transactions_app.detection.clock import utc_moment


def test_a_naive_time_is_utc_and_a_zoned_one_is_converted():
    assert utc_moment("2026-04-19T14:00:00") == datetime(2026, 4, 19, 14, tzinfo=UTC)
    assert utc_moment("2026-04-19T16:00:00+02:00") == datetime(
        2026, 4, 19, 14, tzinfo=UTC
    )
    assert utc_moment("2026-04-19T14:00:00Z").tzinfo is UTC


def test_text_that_is_not_a_time_is_refused():
    with pytest.raises(ValueError):
        utc_moment("soon")
