"""The soak's event-time scale: fast enough that the run covers the
windows' retention several times, so its second half shows whether memory
levels off."""

import pytest

from benchmarks.soak import time_scale_to_fill


def test_ten_minutes_cover_the_default_rules_retention_six_times():
    scale = time_scale_to_fill(86_400 + 300, 600)

    assert scale * 600 == pytest.approx(6 * 86_700)


def test_event_time_never_runs_slower_than_the_clock():
    assert time_scale_to_fill(60, 600) == 1.0
