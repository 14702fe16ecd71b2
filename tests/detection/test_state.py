"""Windowed state invariants, checked on random streams (hypothesis)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.properties import examples
from transactions_app.detection.state import (
    AMOUNT_HISTORY,
    MAX_COUNTERPARTIES,
    StateLimits,
    WindowState,
)

LIMITS = StateLimits(retention=100.0, lateness=20.0, idle_ttl=1000.0, max_accounts=50)

events = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", "C"]),  # source
        st.sampled_from(["X", "Y", "Z"]),  # target
        st.integers(min_value=0, max_value=500),  # time, often equal
        st.integers(min_value=1, max_value=10_000),  # amount in cents
    ),
    max_size=200,
)


def replay(stream, limits=LIMITS):
    state = WindowState(limits)
    for key, (source, target, time, cents) in enumerate(stream):
        state.record(
            source=source, target=target, time=float(time), amount=cents / 100, key=key
        )
    return state


@settings(max_examples=examples(300), deadline=None)
@given(events, st.integers(0, 500), st.integers(1, 100))
def test_windows_hold_exactly_the_kept_events_in_range(stream, end, width):
    """A window query returns every recorded event with start < t <= end
    that is not older than the retention behind its account's newest."""
    state = replay(stream)
    for source in {s for s, *_ in stream}:
        newest = max(t for s, _, t, _ in stream if s == source)
        horizon = newest - LIMITS.retention - LIMITS.lateness
        expected = sorted(
            (float(t), c / 100)
            for s, _, t, c in stream
            if s == source and end - width < t <= end and t > horizon
        )
        got = sorted(
            (e[0], e[1]) for e in state.source(source).window(end - width, end)
        )
        assert got == expected


@settings(max_examples=examples(300), deadline=None)
@given(events)
def test_entries_stay_sorted_and_bounded(stream):
    state = replay(stream)
    for account in state.sources.values():
        times = [e[0] for e in account.entries]
        assert times == sorted(times)
        assert all(
            t > account.last_seen - LIMITS.retention - LIMITS.lateness for t in times
        )
        assert len(account.amounts) <= AMOUNT_HISTORY
        assert len(account.counterparties) <= MAX_COUNTERPARTIES
    for account in state.targets.values():
        times = [e[0] for e in account.entries]
        assert times == sorted(times)


@settings(max_examples=examples(100), deadline=None)
@given(st.integers(min_value=51, max_value=400))
def test_the_number_of_accounts_is_capped(accounts):
    state = replay([(f"S{i}", f"T{i}", i, 100) for i in range(accounts)])
    state.sweep()
    assert len(state.sources) <= LIMITS.max_accounts
    assert len(state.targets) <= LIMITS.max_accounts
    assert f"S{accounts - 1}" in state.sources  # most recent kept


def test_idle_accounts_are_evicted_as_event_time_moves_on():
    state = replay([("OLD", "T", 0, 100), ("NEW", "T2", 2000, 100)])
    state.sweep()
    assert state.source("OLD") is None
    assert state.source("NEW") is not None


def test_memory_stays_flat_over_a_long_stream():
    """A hundred thousand events over ten thousand accounts, a thousand
    seconds of event time against a retention of sixty: entries per account
    stay within the window."""
    limits = StateLimits(
        retention=60.0,
        target_retention=60.0,
        lateness=0.0,
        idle_ttl=600.0,
        max_accounts=100_000,
    )
    state = WindowState(limits)
    for i in range(100_000):
        state.record(
            source=f"S{i % 10_000}",
            target=f"T{i % 777}",
            time=i * 0.01,
            amount=1.0,
            key=i,
        )
    total = sum(len(a.entries) for a in state.sources.values())
    # 60 s of a 100/s stream is at most 6,000 entries, whatever the length.
    assert total <= 6_000 + len(state.sources)
    assert max(len(a.entries) for a in state.targets.values()) <= 6_000 // 777 + 2


@settings(max_examples=examples(200), deadline=None)
@given(events)
def test_discarding_and_recording_again_restores_the_same_windows(stream):
    if not stream:
        return
    state = replay(stream)
    source, target, time, cents = stream[-1]
    before = list(state.source(source).entries)
    state.discard(source=source, target=target, key=len(stream) - 1)
    state.record(
        source=source,
        target=target,
        time=float(time),
        amount=cents / 100,
        key=len(stream) - 1,
    )
    assert state.source(source).entries == before


def test_a_discarded_payment_leaves_its_receivers_hourly_count():
    state = WindowState(StateLimits(receiver_day=True))
    for key in range(3):
        state.record(
            source=f"S{key}", target="SHOP", time=100.0 + key, amount=1.0, key=key
        )
    state.discard(source="S1", target="SHOP", key=1)
    assert state.target("SHOP").hourly.in_day_to(200.0) == 2


def test_receivers_count_their_day_only_when_asked():
    state = replay([("A", "X", 10, 100)])
    assert state.target("X").hourly is None
