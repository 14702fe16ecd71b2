"""Entries kept sorted by event time (a tuple whose first item is the
time): adding one in its place, the slice within a window, and whether
one with a given key is held. Written for the hot path: events nearly
always arrive newest last, so each function checks that case first."""

from bisect import bisect_left, bisect_right, insort
from operator import itemgetter

_TIME = itemgetter(0)


def insert_in_time_order(entries: list, entry: tuple) -> None:
    """Add ``entry`` (its time first) to ``entries``, kept sorted by time:
    appended when it is the newest, as nearly always, else put in place
    (a late event)."""
    if not entries or entries[-1][0] <= entry[0]:
        entries.append(entry)
    else:
        insort(entries, entry, key=_TIME)


def between(entries: list, start: float, end: float) -> list:
    """The entries (sorted by time, their first item) with ``start < time
    <= end``."""
    low = bisect_right(entries, start, key=_TIME)
    if entries and entries[-1][0] <= end:  # nearly always: nothing later
        return entries[low:]
    return entries[low : bisect_right(entries, end, key=_TIME)]


def holds(entries: list, time: float, key: int, key_at: int) -> bool:
    """Whether ``entries`` (sorted by time) hold one at ``time`` whose item
    ``key_at`` is ``key``: only entries at that exact time are looked at."""
    if not entries or entries[-1][0] < time:  # the common case: newer
        return False
    low = bisect_left(entries, time, key=_TIME)
    high = bisect_right(entries, time, key=_TIME)
    return any(entry[key_at] == key for entry in entries[low:high])
