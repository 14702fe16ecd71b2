"""Reads of the live page: the snapshot a client gets on connect."""

from ..models import Transaction


def transactions_latest(*, limit: int = 100) -> list[Transaction]:
    """The most recently stored transactions, newest first (by id, which
    follows insertion and is indexed, unlike ``received_at``)."""
    return list(Transaction.objects.order_by("-id")[:limit])
