"""What is normal for an account, and for all accounts in a currency: the
baselines that rules compare a transaction with, so thresholds follow each
account's own scale instead of one number for everyone.

Every baseline is bounded: an amount profile keeps its last ``size``
amounts (float32), an hour profile 24 counts halved once they pass a cap
(older habits fade), an attribute profile 16 values per enrichment field.
So an account costs the same memory whether it made ten payments or ten
million. (A receiver's first sighting and count live
on its ``TargetState``.)
"""

from array import array
from bisect import bisect_left, insort

PAYER_AMOUNTS = 48
POPULATION_AMOUNTS = 1024
POPULATION_SAMPLING = 4  # a power of two
SAMPLING_MASK = POPULATION_SAMPLING - 1
HOUR_CAP = 2000  # counts are halved past this many, so habits can change
ATTRIBUTE_VALUES = 16  # distinct values remembered per enrichment field


class AmountProfile:
    """The last ``size`` amounts, in arrival order and sorted, for robust
    statistics: the median, and the share of amounts below a value."""

    __slots__ = ("_recent", "_sorted", "_size", "_next", "_median")

    def __init__(self, size: int = PAYER_AMOUNTS) -> None:
        self._recent = array("f")
        self._sorted = array("f")
        self._size = size
        self._next = 0  # where the oldest amount sits once the ring is full
        self._median: float | None = None  # cached: several rules ask

    def __len__(self) -> int:
        return len(self._sorted)

    def add(self, amount: float) -> None:
        """Keep ``amount`` (as float32: 7 significant digits are plenty for
        medians and shares), dropping the oldest once ``size`` are kept.
        Inserting the unrounded value keeps the sorted copy sorted: only
        values equal to its rounding can lie between the two."""
        recent = self._recent
        if len(recent) < self._size:
            recent.append(amount)
        else:
            at = self._next
            oldest = recent[at]  # as stored, so found exactly below
            recent[at] = amount
            self._next = at + 1 if at + 1 < self._size else 0
            del self._sorted[bisect_left(self._sorted, oldest)]
        insort(self._sorted, amount)
        self._median = None

    def discard(self, amount: float) -> None:
        """Take one occurrence of ``amount`` back out (a redelivered
        transaction is judged again and must count once)."""
        stored = array("f", [amount])[0]
        at = bisect_left(self._sorted, stored)
        if at == len(self._sorted) or self._sorted[at] != stored:
            return
        del self._sorted[at]
        self._median = None
        ring = list(self._recent)
        ring = ring[self._next :] + ring[: self._next]  # oldest first
        ring.reverse()
        ring.remove(stored)  # the newest occurrence
        ring.reverse()
        self._recent, self._next = array("f", ring), 0

    def median(self) -> float | None:
        if self._median is not None:
            return self._median
        values = self._sorted
        if not values:
            return None
        middle = len(values) // 2
        if len(values) % 2:
            self._median = float(values[middle])
        else:
            self._median = (values[middle - 1] + values[middle]) / 2
        return self._median

    def share_below(self, amount: float) -> float:
        """The share of the kept amounts strictly below ``amount`` (0 with
        none kept): 0.97 means above 97% of them."""
        values = self._sorted
        return bisect_left(values, amount) / len(values) if values else 0.0

    def quantile(self, share: float) -> float | None:
        """The smallest kept amount with at least ``share`` of the amounts
        at or below it."""
        values = self._sorted
        if not values:
            return None
        index = min(len(values), max(1, round(share * len(values)))) - 1
        return float(values[index])


class HourProfile:
    """How often an account (or a population) paid at each hour of the day
    (UTC), with older habits fading: past ``HOUR_CAP`` payments every count
    is halved."""

    __slots__ = ("_counts", "total")

    def __init__(self) -> None:
        self._counts = array("I", bytes(4 * 24))
        self.total = 0

    def add(self, hour: int) -> None:
        self._counts[hour] += 1
        self.total += 1
        if self.total > HOUR_CAP:
            for index in range(24):
                self._counts[index] //= 2
            self.total = sum(self._counts)

    def restore(self, counts) -> None:
        """Add earlier counts (24, one per hour of the day), fading them as
        ``add`` would have."""
        for hour, count in enumerate(counts):
            self._counts[hour] += count
        self.total += sum(counts)
        while self.total > HOUR_CAP:
            for index in range(24):
                self._counts[index] //= 2
            self.total = sum(self._counts)

    def discard(self, hour: int) -> None:
        if self._counts[hour]:
            self._counts[hour] -= 1
            self.total -= 1

    def share_near(self, hour: int, spread: int = 1) -> float:
        """The share of payments within ``spread`` hours of ``hour`` (the
        hours wrap around midnight); 0 with no payment yet."""
        if not self.total:
            return 0.0
        counts = self._counts
        if spread == 1:  # the rules' and the features' case, spelled out
            near = counts[hour - 1] + counts[hour] + counts[(hour + 1) % 24]
        else:
            near = sum(counts[(hour + d) % 24] for d in range(-spread, spread + 1))
        return near / self.total


class AttributeProfile:
    """The values of the enrichment fields (merchant category, channel,
    country, device, IP) an account's payments carried: for each field the
    last ``ATTRIBUTE_VALUES`` distinct values used, with how often, and how
    many payments carried the field at all.

    Created only for an account whose payments carry such fields, so the
    tutorial's four-field traffic costs nothing here. The least recently
    used value goes first once a field has ``ATTRIBUTE_VALUES``: an account
    that uses many values (a rotating IP) saturates instead of growing.
    """

    __slots__ = ("_values", "_payments")

    def __init__(self) -> None:
        self._values: dict[str, dict[str, int]] = {}
        self._payments: dict[str, int] = {}

    def add(self, attributes) -> None:
        """Count one payment's ``(field, value)`` pairs."""
        for name, value in attributes:
            values = self._values.setdefault(name, {})
            values[value] = values.pop(value, 0) + 1  # now most recently used
            if len(values) > ATTRIBUTE_VALUES:
                del values[next(iter(values))]
            self._payments[name] = self._payments.get(name, 0) + 1

    def discard(self, attributes) -> None:
        """Take one payment's pairs back out (a redelivery counts once)."""
        for name, value in attributes:
            values = self._values.get(name, {})
            if value in values:
                values[value] -= 1
                if not values[value]:
                    del values[value]
                self._payments[name] -= 1

    def payments(self, name: str) -> int:
        """How many payments carried the field ``name``."""
        return self._payments.get(name, 0)

    def uses(self, name: str, value: str) -> int:
        """How many of those payments had ``value`` (0 for a value new, or
        long unused, to this account)."""
        return self._values.get(name, {}).get(value, 0)

    def known(self, name: str) -> list[str]:
        """The values of ``name`` remembered, most used first."""
        values = self._values.get(name, {})
        return sorted(values, key=values.__getitem__, reverse=True)


class PopulationBaseline:
    """What is normal for every account paying in one currency: the cold
    start for accounts with too little history of their own. It samples
    one transaction in ``POPULATION_SAMPLING`` by transaction id (the same
    ones whatever the order or a redelivery, and cheap on the hot path)."""

    __slots__ = ("amounts", "hours")

    def __init__(self) -> None:
        self.amounts = AmountProfile(POPULATION_AMOUNTS)
        self.hours = HourProfile()

    def record(self, amount: float, hour: int) -> None:
        """Add a sampled transaction (``sampled(key)``)."""
        self.amounts.add(amount)
        self.hours.add(hour)

    def discard(self, amount: float, hour: int) -> None:
        self.amounts.discard(amount)
        self.hours.discard(hour)


def sampled(key: int) -> bool:
    """Whether the transaction with this key is in its population's sample."""
    return not key & SAMPLING_MASK
