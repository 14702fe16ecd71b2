"""Reads. Views, consumers and tasks fetch transactions through here."""

from django.db.models import QuerySet

from .models import Transaction


def transactions_latest(*, limit: int = 100) -> list[Transaction]:
    """The most recently classified transactions, newest first."""
    return list(Transaction.objects.order_by("-received_at", "-id")[:limit])


def transactions_flagged() -> QuerySet[Transaction]:
    """Transactions classified as review or fraud, newest first."""
    return Transaction.objects.filter(outcome__in=Transaction.FLAGGED_OUTCOMES)


def transaction_get(*, transaction_id) -> Transaction | None:
    return Transaction.objects.filter(transaction_id=transaction_id).first()
