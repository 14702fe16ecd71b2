"""What the detector broadcasts to the live page: one Channels group
event per batch (never one per transaction), which the websocket consumer
forwards; and the one JSON shape of a transaction on the page, for stored
rows (the snapshot) and for those just classified (the events) alike.
"""

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from ..models import Transaction
from ..streaming.records import ClassifiedTransaction

logger = logging.getLogger(__name__)

LIVE_FEED_GROUP = "transactions"
MAX_ITEMS_PER_EVENT = 100


def live_feed_item(transaction: Transaction) -> dict:
    """The JSON shape of one stored transaction on the live page."""
    return _item(
        transaction_id=transaction.transaction_id,
        source=transaction.source,
        target=transaction.target,
        amount=transaction.amount,
        currency=transaction.currency,
        timestamp=transaction.timestamp,
        outcome=transaction.outcome,
        score=transaction.score,
        rules=[reason.get("rule", "") for reason in transaction.reasons],
    )


def live_feed_item_classified(item: ClassifiedTransaction) -> dict:
    """The same shape for a transaction just classified by the detector."""
    tx, verdict = item.transaction, item.verdict
    return _item(
        transaction_id=tx.transaction_id,
        source=tx.source,
        target=tx.target,
        amount=tx.amount,
        currency=tx.currency,
        timestamp=tx.timestamp,
        outcome=verdict.outcome.value,
        score=verdict.score,
        rules=[reason.rule for reason in verdict.reasons],
    )


def _item(
    *,
    transaction_id,
    source: str,
    target: str,
    amount: Decimal,
    currency: str,
    timestamp: datetime,
    outcome: str,
    score: int,
    rules: list[str],
) -> dict:
    """The one shape both builders fill: strings for ids, amounts and
    times, so that the page never sees a float or a locale."""
    return {
        "transaction_id": str(transaction_id),
        "source": source,
        "target": target,
        "amount": str(amount),
        "currency": currency,
        "timestamp": timestamp.isoformat(),
        "outcome": outcome,
        "score": score,
        "reasons": rules,
    }


def live_feed_event(
    batch: Sequence[ClassifiedTransaction], *, lag: int | None = None
) -> dict:
    """One group event for a batch: the newest transactions (at most
    ``MAX_ITEMS_PER_EVENT``), the counts by outcome for the whole batch,
    and the detector's ``lag`` (None when unknown)."""
    counts = Counter(item.verdict.outcome.value for item in batch)
    newest = batch[-MAX_ITEMS_PER_EVENT:]
    return {
        "type": "transactions.batch",
        "transactions": [live_feed_item_classified(item) for item in newest],
        "counts": {outcome: counts.get(outcome, 0) for outcome in Transaction.Outcome},
        "lag": lag,
    }


def live_feed_broadcast(
    transactions: Sequence[ClassifiedTransaction],
    *,
    lag: Callable[[], int | None] = lambda: None,
) -> bool:
    """Send a batch to the live page, with the detector's lag as ``lag``
    answers it; return whether it was sent.

    Best effort by design: the live page is a view, not a record, so a
    channel layer outage (Redis down) is logged and classification goes on.
    """
    if not transactions:
        return True
    try:
        async_to_sync(get_channel_layer().group_send)(
            LIVE_FEED_GROUP, live_feed_event(transactions, lag=lag())
        )
    except Exception as error:  # noqa: BLE001 - any layer failure is non-fatal
        logger.warning("live feed broadcast failed: %s", error)
        return False
    return True
