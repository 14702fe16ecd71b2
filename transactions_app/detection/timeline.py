"""Entries kept sorted by event time (a tuple whose first item is the
time): adding one in its place, the slice within a window, and whether
one with a given key is held. Written for the hot path: events nearly
always arrive newest last, so each function checks that case first.

And ``HourlyCounts``: how many events the last day held, counted by the
hour instead of kept one by one."""

from array import array
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


DAY_HOURS = 24


class HourlyCounts:
    """How many events fell in each of the last ``DAY_HOURS`` hours of
    event time (epoch hours, UTC), in the same memory whatever the rate: a
    shop paid thousands of times an hour has its day of payments counted
    without keeping them. Events older than the day kept are not counted;
    a late event within it lands in its hour."""

    __slots__ = ("_counts", "_newest")

    def __init__(self) -> None:
        self._counts = array("I", bytes(4 * DAY_HOURS))
        self._newest = -1  # the epoch hour of the newest bucket (-1: none)

    def add(self, time: float, count: int = 1) -> None:
        """Count ``count`` events at ``time`` (negative: take them back, never
        below zero)."""
        hour = int(time // 3600)
        newest = self._newest
        if hour > newest:
            self._advance(hour)
        elif hour <= newest - DAY_HOURS:
            return
        slot = hour % DAY_HOURS
        self._counts[slot] = max(self._counts[slot] + count, 0)

    def in_day_to(self, time: float) -> int:
        """The events counted in the hour of ``time`` and the 23 before it:
        a day ending at ``time``, to the hour. Hours after that of
        ``time`` (``time`` is a late event's) are left out."""
        newest = self._newest
        hour = int(time // 3600)
        if newest < 0 or hour >= newest + DAY_HOURS:
            return 0
        counts = self._counts
        total = sum(counts)
        if hour > newest:  # the oldest hours have left the day
            for gone in range(newest - DAY_HOURS + 1, hour - DAY_HOURS + 1):
                total -= counts[gone % DAY_HOURS]
        elif hour < newest:  # hours after the late event's
            for later in range(max(hour + 1, newest - DAY_HOURS + 1), newest + 1):
                total -= counts[later % DAY_HOURS]
        return total

    def _advance(self, hour: int) -> None:
        """Make ``hour`` the newest, emptying the hours it pushes out."""
        counts, newest = self._counts, self._newest
        if newest < 0 or hour - newest >= DAY_HOURS:
            for slot in range(DAY_HOURS):
                counts[slot] = 0
        else:
            for passed in range(newest + 1, hour + 1):
                counts[passed % DAY_HOURS] = 0
        self._newest = hour
