"""Windowed state per account, with bounded memory.

For every source account the state keeps the transactions it sent within
the retention period (the longest rule window plus an allowance for late
events), its baselines (the last amounts it sent, the hours it pays at),
and the counterparties it paid. For every target account it keeps who paid
it within the retention period, when it was first seen and how many
payments it received, and, when a model's features read it, how many in
each hour of the last day. For every currency it keeps the population's
baselines, the cold start for accounts without history of their own.

Times are event times in seconds since the epoch. Entries stay sorted by
time, so events that arrive out of order land in their place. Memory is
bounded three ways: entries older than the retention are trimmed, an
account's counterparties are capped, and accounts idle for longer than
``idle_ttl`` (or beyond ``max_accounts``) are evicted, least recently
active first.
"""

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter

from .baselines import (
    PAYER_AMOUNTS,
    SAMPLING_MASK,
    AmountProfile,
    AttributeProfile,
    HourProfile,
    PopulationBaseline,
    sampled,
)
from .history import PayerHistory, ReceivedPayment, ReceiverHistory
from .timeline import HourlyCounts, between, holds, insert_in_time_order

_TIME = itemgetter(0)


AMOUNT_HISTORY = PAYER_AMOUNTS
MAX_COUNTERPARTIES = 200


def hour_of(time: float) -> int:
    """The hour of the day (UTC) of an event time in epoch seconds."""
    return int(time // 3600) % 24


class SourceState:
    """What one source account did recently.

    ``entries`` holds ``(time, amount, target, transaction key)`` tuples
    sorted by time; ``amounts`` profiles the last ``AMOUNT_HISTORY``
    amounts, ``hours`` the hours of day it pays at; ``counterparties`` maps
    each target paid to the last time it was paid and the key of the
    transaction that first paid it; ``count`` is every transaction seen from
    this account while its state lived, ``first_seen`` the event time of the
    first of them (together, its usual rate); ``attributes`` profiles the
    enrichment fields its payments carried (None while none did).
    """

    __slots__ = (
        "entries",
        "amounts",
        "hours",
        "attributes",
        "counterparties",
        "count",
        "first_seen",
        "last_seen",
        "shard",
    )

    def __init__(self, shard: int | None) -> None:
        self.entries: list[tuple[float, float, str, int]] = []
        self.amounts = AmountProfile(AMOUNT_HISTORY)
        self.hours = HourProfile()
        self.attributes: AttributeProfile | None = None
        self.counterparties: dict[str, tuple[float, int]] = {}
        self.count = 0
        self.first_seen = float("inf")
        self.last_seen = float("-inf")
        self.shard = shard

    def window(self, start: float, end: float) -> list[tuple[float, float, str, int]]:
        """Entries with ``start < time <= end``: a window of ``end - start``
        seconds ending at (and including) ``end``."""
        return between(self.entries, start, end)

    def typical_amount(self) -> float | None:
        """The median of the recent amounts, or None without history."""
        return self.amounts.median()

    def contains(self, key: int, time: float) -> bool:
        """Whether the transaction ``key`` at ``time`` is recorded."""
        return holds(self.entries, time, key, 3)


class TargetState:
    """Who paid one target account recently: ``(time, source, key, new)``,
    where ``new`` says the payment was the source's first to this target;
    ``first_seen`` is the event time of its first payment received and
    ``count`` every payment received while its state lived (together, how
    established a receiver it is); ``hourly`` counts the payments of the
    last day by the hour (None unless the limits ask for it)."""

    __slots__ = ("entries", "first_seen", "count", "hourly", "last_seen", "shard")

    def __init__(self, shard: int | None) -> None:
        self.entries: list[tuple[float, str, int, bool]] = []
        self.first_seen = float("inf")
        self.count = 0
        self.hourly: HourlyCounts | None = None
        self.last_seen = float("-inf")
        self.shard = shard

    def window(self, start: float, end: float) -> list[tuple[float, str, int, bool]]:
        """Payments received with ``start < time <= end``."""
        return between(self.entries, start, end)

    def contains(self, key: int, time: float) -> bool:
        """Whether the payment ``key`` at ``time`` is recorded."""
        return holds(self.entries, time, key, 2)


@dataclass(frozen=True, slots=True)
class StateLimits:
    """How much the state keeps.

    ``retention``: seconds of entries kept behind a source account's newest
    event (at least the longest rule window over sources);
    ``target_retention`` the same for target accounts (a shop paid
    thousands of times a day keeps only what its rules look at).
    ``lateness``: how far behind an account's newest event a late event may
    be and still be counted.
    ``idle_ttl``: seconds of event time after which an idle account's state
    is dropped. ``max_accounts``: most source (and, separately, target)
    accounts kept. ``receiver_day``: whether receivers count their last
    day of payments by the hour (``TargetState.hourly``; a model's
    features read it), in a fixed 240 bytes a receiver instead of a day
    of entries.
    """

    retention: float = 3600.0
    lateness: float = 300.0
    target_retention: float = 3600.0
    idle_ttl: float = 30 * 86400.0
    max_accounts: int = 2_000_000
    receiver_day: bool = False


class WindowState:
    """All accounts' state. Not thread-safe: one detector loop owns it."""

    def __init__(self, limits: StateLimits | None = None, *, shared=False) -> None:
        self.limits = limits or StateLimits()
        # Shared receivers: every detector records every payment received
        # (``record_received``), so receivers belong to no shard.
        self.shared = shared
        self.sources: dict[str, SourceState] = {}
        self.targets: dict[str, TargetState] = {}
        self.population: dict[str, PopulationBaseline] = {}
        self.watermark = float("-inf")
        self._records_since_sweep = 0

    def source(self, account: str) -> SourceState | None:
        return self.sources.get(account)

    def target(self, account: str) -> TargetState | None:
        return self.targets.get(account)

    def record(
        self,
        *,
        source: str,
        target: str,
        time: float,
        amount: float,
        key: int,
        shard: int | None = None,
        currency: str | None = None,
        attributes: tuple[tuple[str, str], ...] = (),
    ) -> bool:
        """Add one transaction to both accounts' state, and to the
        population of its ``currency`` when given; ``attributes`` are its
        enrichment fields that rules read. Returns whether it was the
        source's first payment to this target. A payment its receiver
        recorded already (told by another detector, see ``record_received``)
        is not added to the receiver again.

        This runs for every transaction, so it is written for speed: entries
        are appended when in order (the common case) and trimmed only when
        the oldest one has left the retention.
        """
        limits = self.limits
        keep = limits.retention + limits.lateness
        state = self._touch(self.sources, source, SourceState, shard)
        first_payment = target not in state.counterparties
        entries = state.entries
        insert_in_time_order(entries, (time, amount, target, key))
        hour = int(time // 3600) % 24  # hour_of, inline on the hot path
        state.amounts.add(amount)
        state.hours.add(hour)
        if attributes:
            if state.attributes is None:
                state.attributes = AttributeProfile()
            state.attributes.add(attributes)
        self._remember_counterparty(state, target, time, key)
        state.count += 1
        if time < state.first_seen:
            state.first_seen = time
        if time > state.last_seen:
            state.last_seen = time
        if entries[0][0] <= state.last_seen - keep:
            self._trim(entries, state.last_seen - keep)

        incoming = self._touch(self.targets, target, TargetState, shard)
        if not (self.shared and incoming.contains(key, time)):
            self._receive(incoming, time, source, key, first_payment)
            if currency is not None and not key & SAMPLING_MASK:  # sampled(key)
                self._sample(currency, amount, hour)
        if time > self.watermark:
            self.watermark = time
        self._records_since_sweep += 1
        if self._records_since_sweep >= 1000:
            self.sweep()
        return first_payment

    def record_received(self, payment: ReceivedPayment) -> None:
        """Add a payment recorded by another detector to its receiver's
        state (and the currency's population when sampled), unless it is
        recorded already: detectors that share receivers each read every
        payment, their own too, so one receiver's state sees the payments
        of every partition."""
        incoming = self._touch(self.targets, payment.target, TargetState, None)
        if incoming.contains(payment.key, payment.time):
            return
        self._receive(incoming, payment.time, payment.source, payment.key, payment.new)
        if sampled(payment.key):
            self._sample(payment.currency, payment.amount, hour_of(payment.time))
        if payment.time > self.watermark:
            self.watermark = payment.time

    def _receive(self, incoming, time, source, key, first_payment) -> None:
        entries = incoming.entries
        insert_in_time_order(entries, (time, source, key, first_payment))
        incoming.count += 1
        if self.limits.receiver_day:
            if incoming.hourly is None:
                incoming.hourly = HourlyCounts()
            incoming.hourly.add(time)
        if time < incoming.first_seen:
            incoming.first_seen = time
        if time > incoming.last_seen:
            incoming.last_seen = time
        keep = self.limits.target_retention + self.limits.lateness
        if entries[0][0] <= incoming.last_seen - keep:
            self._trim(entries, incoming.last_seen - keep)

    def _sample(self, currency: str, amount: float, hour: int) -> None:
        population = self.population.get(currency)
        if population is None:
            population = self.population[currency] = PopulationBaseline()
        population.record(amount, hour)

    def discard(
        self,
        *,
        source: str,
        target: str,
        key: int,
        currency: str | None = None,
        attributes: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """Remove a transaction recorded before (a redelivered message is
        classified again and must not count twice)."""
        state = self.sources.get(source)
        if state is not None:
            removed = [entry for entry in state.entries if entry[3] == key]
            if removed:
                time, amount = removed[0][0], removed[0][1]
                state.entries = [e for e in state.entries if e[3] != key]
                state.count -= 1
                state.amounts.discard(amount)
                state.hours.discard(hour_of(time))
                if attributes and state.attributes is not None:
                    state.attributes.discard(attributes)
                population = self.population.get(currency)
                if population is not None and sampled(key):
                    population.discard(amount, hour_of(time))
            if state.counterparties.get(target, (0, None))[1] == key:
                del state.counterparties[target]
        incoming = self.targets.get(target)
        if incoming is not None:
            kept = [e for e in incoming.entries if e[2] != key]
            incoming.count -= len(incoming.entries) - len(kept)
            if incoming.hourly is not None:
                for entry in incoming.entries:
                    if entry[2] == key:
                        incoming.hourly.add(entry[0], -1)
            incoming.entries = kept

    def restore_history(
        self,
        payers: dict[str, PayerHistory],
        receivers: dict[str, ReceiverHistory],
        shard: int | None = None,
        populations: dict[str, tuple[tuple[float, int], ...]] | None = None,
    ) -> None:
        """Give accounts the baselines of their older history, before the
        recent transactions are replayed on top (``record``), so a restart
        makes no payer a stranger and no shop a new receiver. A payer in
        the state keeps what it has (its live state is exact); a receiver,
        paid from several shards, takes the earlier first sighting and the
        larger count; a currency without a population gets the sampled
        ``(amount, hour)`` pairs of ``populations``, oldest first."""
        for account, history in payers.items():
            if account in self.sources:
                continue
            state = self._touch(self.sources, account, SourceState, shard)
            for amount in history.amounts:
                state.amounts.add(amount)
            state.hours.restore(history.hours)
            for target, time in history.counterparties:
                self._remember_counterparty(state, target, time, 0)
            state.count = history.count
            state.first_seen = history.first_seen
            state.last_seen = history.last_seen
        for account, history in receivers.items():
            state = self._touch(self.targets, account, TargetState, shard)
            state.first_seen = min(state.first_seen, history.first_seen)
            state.count = max(state.count, history.count)
            state.last_seen = max(state.last_seen, history.last_seen)
        for currency, sampled_payments in (populations or {}).items():
            if currency not in self.population:
                for amount, hour in sampled_payments:
                    self._sample(currency, amount, hour)

    def forget(self, shards: Iterable[int]) -> None:
        """Drop the state of accounts last seen on these shards (partitions
        this process no longer owns); with shared receivers, of payers
        only."""
        shards = set(shards)
        tables = (self.sources,) if self.shared else (self.sources, self.targets)
        for table in tables:
            for account in [a for a, s in table.items() if s.shard in shards]:
                del table[account]

    def sweep(self) -> None:
        """Evict idle accounts and enforce ``max_accounts``."""
        self._records_since_sweep = 0
        horizon = self.watermark - self.limits.idle_ttl
        for table in (self.sources, self.targets):
            while table:
                account, state = next(iter(table.items()))
                if (
                    state.last_seen >= horizon
                    and len(table) <= self.limits.max_accounts
                ):
                    break
                del table[account]

    def _touch(self, table: dict, account: str, factory, shard):
        """Fetch (or create) an account's state and mark it most recently
        used, so the eviction order is least recently active first."""
        state = table.pop(account, None)
        if state is None:
            state = factory(shard)
        elif shard is not None:
            state.shard = shard
        table[account] = state
        return state

    @staticmethod
    def _trim(entries: list, horizon: float) -> None:
        """Drop the entries at or before ``horizon``."""
        if entries and entries[0][0] <= horizon:
            del entries[: bisect_right(entries, horizon, key=_TIME)]

    @staticmethod
    def _remember_counterparty(
        state: SourceState, target: str, time: float, key: int
    ) -> None:
        """Keep the most recently paid targets, at most MAX_COUNTERPARTIES."""
        known = state.counterparties
        last_time, first_key = known.pop(target, (time, key))
        known[target] = (max(last_time, time), first_key)
        if len(known) > MAX_COUNTERPARTIES:
            del known[next(iter(known))]
