"""Values that come into the state from outside the stream in hand:
what a restarted detector reads back of its accounts' older history, and
the payments detectors that share receivers tell each other about."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReceivedPayment:
    """One payment as its receiver's state records it, and as detectors
    that share receivers tell each other about it: who paid whom, when,
    the transaction's key, whether it was the payer's first payment to
    this receiver, the amount and currency (for the currency's population,
    when sampled), and which engine recorded it (``Engine.name``: an engine
    reading its own payments back skips them)."""

    target: str
    source: str
    time: float
    key: int
    new: bool
    amount: float
    currency: str
    origin: str = ""


@dataclass(frozen=True, slots=True)
class PayerHistory:
    """What a payer's baselines were built from before the transactions a
    restore replays: the event times of its first and last payments and
    how many it made, its last amounts (oldest first), its payments per
    hour of the day (24 counts), and the receivers it paid with the last
    time it paid each (oldest first). Read from stored transactions after
    a restart."""

    first_seen: float
    last_seen: float
    count: int
    amounts: tuple[float, ...] = ()
    hours: tuple[int, ...] = (0,) * 24
    counterparties: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class ReceiverHistory:
    """A receiver's first and last payments received and how many it
    received, before the transactions a restore replays."""

    first_seen: float
    last_seen: float
    count: int
