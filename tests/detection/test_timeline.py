"""Entries sorted by time: the in-order case (nearly every event) and the
late one take the same answers."""

from transactions_app.detection.timeline import between, holds, insert_in_time_order


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
