"""The live feed: what the detector broadcasts and the live page shows.

Everything goes to one Channels group; the detector sends one event per
batch (never one per transaction), and the websocket consumer forwards it.
"""

import logging
from collections import Counter
from collections.abc import Sequence

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from .models import Transaction
from .streaming.metrics import current_lag
from .streaming.records import ClassifiedTransaction

logger = logging.getLogger(__name__)

LIVE_FEED_GROUP = "transactions"
MAX_ITEMS_PER_EVENT = 100


def live_feed_item(transaction: Transaction) -> dict:
    """The JSON shape of one stored transaction on the live page."""
    return {
        "transaction_id": str(transaction.transaction_id),
        "source": transaction.source,
        "target": transaction.target,
        "amount": str(transaction.amount),
        "currency": transaction.currency,
        "timestamp": transaction.timestamp.isoformat(),
        "outcome": transaction.outcome,
        "score": transaction.score,
        "reasons": [reason.get("rule", "") for reason in transaction.reasons],
    }


def live_feed_item_classified(item: ClassifiedTransaction) -> dict:
    """The same shape for a transaction just classified by the detector."""
    tx, verdict = item.transaction, item.verdict
    return {
        "transaction_id": str(tx.transaction_id),
        "source": tx.source,
        "target": tx.target,
        "amount": str(tx.amount),
        "currency": tx.currency,
        "timestamp": tx.timestamp.isoformat(),
        "outcome": verdict.outcome.value,
        "score": verdict.score,
        "reasons": [reason.rule for reason in verdict.reasons],
    }


def live_feed_event(batch: Sequence[ClassifiedTransaction]) -> dict:
    """One group event for a batch: the newest transactions (at most
    ``MAX_ITEMS_PER_EVENT``) and the counts by outcome for the whole batch."""
    counts = Counter(item.verdict.outcome.value for item in batch)
    newest = batch[-MAX_ITEMS_PER_EVENT:]
    return {
        "type": "transactions.batch",
        "transactions": [live_feed_item_classified(item) for item in newest],
        "counts": {outcome: counts.get(outcome, 0) for outcome in Transaction.Outcome},
        "lag": current_lag(),
    }


def live_feed_broadcast(transactions: Sequence[ClassifiedTransaction]) -> bool:
    """Send a batch to the live page; return whether it was sent.

    Best effort by design: the live page is a view, not a record, so a
    channel layer outage (Redis down) is logged and classification goes on.
    """
    if not transactions:
        return True
    try:
        async_to_sync(get_channel_layer().group_send)(
            LIVE_FEED_GROUP, live_feed_event(transactions)
        )
    except Exception as error:  # noqa: BLE001 - any layer failure is non-fatal
        logger.warning("live feed broadcast failed: %s", error)
        return False
    return True


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
