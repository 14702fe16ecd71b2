"""The baselines rules compare with: robust statistics over a bounded
sample of amounts, hour-of-day habits that fade, bounded memory."""

import random
from statistics import median

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.properties import examples
from transactions_app.detection.baselines import (
    HOUR_CAP,
    AmountProfile,
    HourProfile,
)

amounts = st.lists(
    st.floats(min_value=0.5, max_value=1e6, allow_nan=False, width=32),
    min_size=1,
    max_size=120,
)


@settings(max_examples=examples(300), deadline=None)
@given(amounts, st.integers(1, 60))
def test_the_profile_holds_exactly_the_last_amounts(values, size):
    """Whatever the stream, the profile's median and shares are those of
    the last ``size`` amounts."""
    profile = AmountProfile(size)
    for value in values:
        profile.add(value)
    kept = sorted(values[-size:])
    assert len(profile) == len(kept)
    assert profile.median() == pytest.approx(median(kept), rel=1e-6)
    probe = values[len(values) // 2]
    below = sum(value < probe for value in kept) / len(kept)
    assert profile.share_below(probe) == pytest.approx(below)


def test_a_discarded_amount_counts_once_less_and_the_ring_goes_on():
    profile = AmountProfile(4)
    for value in (10, 20, 30, 40, 50):  # 10 has left already
        profile.add(value)
    profile.discard(50)
    assert profile.median() == 30.0
    profile.discard(99)  # never added: nothing changes
    assert len(profile) == 3
    profile.add(60)
    profile.add(70)  # the oldest (20) leaves
    assert profile.median() == 50.0
    assert profile.quantile(1.0) == 70.0
    assert profile.quantile(0.01) == 30.0


def test_an_empty_profile_has_no_median_and_nothing_below():
    profile = AmountProfile()
    assert (profile.median(), profile.share_below(5), profile.quantile(0.5)) == (
        None,
        0.0,
        None,
    )


def test_hour_shares_wrap_around_midnight():
    hours = HourProfile()
    for hour in [23] * 3 + [0] * 2 + [12] * 5:
        hours.add(hour)
    assert hours.share_near(0, spread=1) == 0.5  # 23, 0 and 1
    assert hours.share_near(23, spread=1) == 0.5  # 22, 23 and 0
    assert hours.share_near(22, spread=1) == 0.3  # 21, 22 and 23
    assert hours.share_near(12, spread=0) == 0.5
    assert hours.share_near(6, spread=2) == 0.0
    hours.discard(12)
    assert hours.total == 9


def test_old_habits_fade_so_a_new_one_can_become_usual():
    """Past the cap, counts halve: an account that paid at noon for years
    and now pays at night sees the night become usual within months."""
    hours = HourProfile()
    for _ in range(10 * HOUR_CAP):
        hours.add(12)
    for _ in range(HOUR_CAP):
        hours.add(2)
    assert hours.total <= HOUR_CAP
    assert hours.share_near(2, spread=0) > 0.5


def test_a_profile_costs_the_same_whatever_the_history():
    """Memory is bounded by the sample size, not by the stream."""
    import sys

    short, long = AmountProfile(48), AmountProfile(48)
    for _ in range(48):
        short.add(random.uniform(1, 100))
    for _ in range(100_000):
        long.add(random.uniform(1, 100))
    size = sys.getsizeof
    assert size(long._recent) + size(long._sorted) <= (
        size(short._recent) + size(short._sorted) + 64
    )
