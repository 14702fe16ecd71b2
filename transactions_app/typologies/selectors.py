"""Reads of the typology findings."""

from django.db.models import QuerySet

from ..models import Transaction, TypologyFinding


def finding_payments(*, finding: TypologyFinding) -> QuerySet[Transaction]:
    """The stored payments of ``finding`` by event time (one query; the
    scan keeps at most ``ScanSettings.max_transactions`` of them). A
    payment deleted since (retention) is missing from the list."""
    return Transaction.objects.filter(
        transaction_id__in=finding.transaction_ids
    ).order_by("timestamp", "id")
