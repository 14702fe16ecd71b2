"""Entries sorted by time: the in-order case (nearly every event) and the
late one take the same answers."""

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.properties import examples
from transactions_app.detection.timeline import (
    DAY_HOURS,
    HourlyCounts,
    between,
    holds,
    insert_in_time_order,
)

HOUR = 3600


def entries_at(*times):
    entries = []
    for key, time in enumerate(times):
        insert_in_time_order(entries, (time, key))
    return entries


def test_a_late_entry_lands_in_its_place():
    assert [e[0] for e in entries_at(1, 5, 3, 5, 0)] == [0, 1, 3, 5, 5]


def test_a_window_ends_at_its_end_whether_or_not_later_entries_exist():
    entries = entries_at(1, 2, 3, 4)
    assert [e[0] for e in between(entries, 1, 4)] == [2, 3, 4]  # all newest
    assert [e[0] for e in between(entries, 1, 3)] == [2, 3]  # a later one held
    assert between(entries, 4, 9) == []
    assert between([], 0, 9) == []


def test_held_is_found_at_its_exact_time_only():
    entries = entries_at(1, 2, 2, 3)  # keys 0..3
    assert holds(entries, 2, 2, 1) and holds(entries, 2, 1, 1)
    assert not holds(entries, 2, 3, 1)  # key 3 is at time 3
    assert not holds(entries, 4, 3, 1)  # newer than everything held
    assert not holds([], 1, 0, 1)


def test_a_day_is_counted_by_the_hour():
    counts = HourlyCounts()
    for time in (0, 10, HOUR, 5 * HOUR + 1, 23 * HOUR + 59):
        counts.add(time)
    assert counts.in_day_to(23 * HOUR + 59) == 5
    assert counts.in_day_to(24 * HOUR) == 3  # hour 0's two have left the day
    assert counts.in_day_to(46 * HOUR) == 1
    assert counts.in_day_to(47 * HOUR) == 0
    assert counts.in_day_to(5 * HOUR + 2) == 4  # as a late event sees it
    assert HourlyCounts().in_day_to(0) == 0


def test_counts_are_taken_back_never_below_zero():
    counts = HourlyCounts()
    counts.add(10)
    counts.add(20, -1)
    counts.add(30, -1)
    assert counts.in_day_to(40) == 0
    counts.add(50)
    assert counts.in_day_to(60) == 1


def test_an_event_older_than_the_day_kept_is_not_counted():
    counts = HourlyCounts()
    counts.add(30 * HOUR)
    counts.add(30 * HOUR - DAY_HOURS * HOUR)  # 24 hours before the newest
    counts.add(7 * HOUR)  # within the day kept: a late event
    assert counts.in_day_to(30 * HOUR) == 2


@settings(max_examples=examples(300), deadline=None)
@given(
    st.lists(st.integers(0, 100 * HOUR), max_size=60),
    st.integers(0, 130 * HOUR),
)
def test_the_count_is_that_of_the_events_in_the_day_to_the_hour(times, query):
    """Whatever the order the events come in, a query at or after the
    newest one counts the events in its hour and the 23 before, and none
    is lost but those that arrived a day or more behind the newest."""
    counts, kept, newest = HourlyCounts(), [], -1
    for time in times:
        hour = time // HOUR
        if hour > newest - DAY_HOURS:
            kept.append(hour)
        newest = max(newest, hour)
        counts.add(time)
    query = max(query, newest * HOUR)
    hour = query // HOUR
    assert counts.in_day_to(query) == sum(hour - DAY_HOURS < h <= hour for h in kept)
