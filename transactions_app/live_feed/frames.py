"""Merging the live feed's batch events into frames for one client."""

from collections import Counter

from ..models import Transaction
from .services import MAX_ITEMS_PER_EVENT


class FrameBuffer:
    """Merges batch events for one client between frames, so a client gets
    at most one frame per ``interval`` seconds whatever the input rate: the
    newest ``MAX_ITEMS_PER_EVENT`` transactions and the summed counts.

    Transactions the client already has from its snapshot are left out of
    frames and counts (``already_sent``), so each is counted once: the
    consumer joins the group before it reads the snapshot, so a batch stored
    just before that read reaches the client twice, in the snapshot and in
    an event. Such a transaction is always among its event's items: the
    snapshot is the newest rows by id and an event carries the newest of its
    batch, so a batch's rows in the snapshot are the last of its items.
    """

    def __init__(self, *, interval: float = 0.1) -> None:
        self.interval = interval
        self.last_sent = float("-inf")
        self._transactions: list[dict] = []
        self._counts: Counter = Counter()
        self._lag = None
        self._already_sent: frozenset[str] = frozenset()

    def already_sent(self, transaction_ids) -> None:
        """The ids the client got in its snapshot (at most the snapshot's
        size): events that carry them again leave them out."""
        self._already_sent = frozenset(transaction_ids)

    def add(self, event: dict) -> None:
        if event.get("lag") is not None:
            self._lag = event["lag"]
        transactions, counts = self._without_already_sent(event)
        self._transactions.extend(transactions)
        del self._transactions[:-MAX_ITEMS_PER_EVENT]
        self._counts.update(counts)

    def _without_already_sent(self, event: dict) -> tuple[list[dict], Counter]:
        """The event's transactions and counts less those in the snapshot."""
        counts = Counter(event["counts"])
        fresh = []
        for item in event["transactions"]:
            if item.get("transaction_id") in self._already_sent:
                outcome = item.get("outcome")
                counts[outcome] = max(0, counts[outcome] - 1)
            else:
                fresh.append(item)
        return fresh, counts

    def wait_before_next(self, now: float) -> float:
        """Seconds to wait until the next frame may go out."""
        return max(0.0, self.last_sent + self.interval - now)

    def take(self, now: float) -> dict:
        """The frame to send now; empties the buffer."""
        frame = {
            "type": "batch",
            "transactions": self._transactions,
            "counts": {o: self._counts.get(o, 0) for o in Transaction.Outcome},
            "lag": self._lag,
        }
        self._transactions, self._counts = [], Counter()
        self.last_sent = now
        return frame
