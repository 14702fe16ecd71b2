"""Builders for test data: engine transactions and stored rows."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from transactions_app import detection

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
SOURCE = "a1B2c3D4e5F6"
TARGET = "Z9y8X7w6V5u4"


def engine_transaction(
    amount: str = "10.00",
    *,
    currency: str = "EUR",
    source: str = SOURCE,
    target: str = TARGET,
    timestamp: datetime = NOW,
    transaction_id: uuid.UUID | None = None,
    **enrichment: str,
) -> detection.Transaction:
    """A detection engine input value; ``enrichment`` sets optional fields
    such as ``merchant_category``."""
    return detection.Transaction(
        transaction_id=transaction_id or uuid.uuid4(),
        source=source,
        target=target,
        amount=Decimal(amount),
        currency=currency,
        timestamp=timestamp,
        **enrichment,
    )


def amount_reason(amount: str) -> dict:
    """The stored reason the original rule gives for ``amount`` EUR."""
    engine = detection.default_engine(clock=lambda: NOW)
    return engine.classify(engine_transaction(amount)).reasons[0].as_dict()


def stored_transaction(
    outcome: str = "legit", *, amount: str | None = None, source: str = SOURCE
) -> "TransactionRow":  # noqa: F821
    """A classified transaction row, as the detector would have stored it."""
    from transactions_app.models import Transaction as TransactionRow

    amount = amount or ("10.00" if outcome == "legit" else "950.00")
    flagged = outcome != "legit"
    return TransactionRow.objects.create(
        transaction_id=uuid.uuid4(),
        source=source,
        target=TARGET,
        amount=Decimal(amount),
        currency="EUR",
        timestamp=NOW,
        received_at=NOW,
        outcome=outcome,
        score=100 if flagged else 0,
        reasons=[amount_reason(amount)] if flagged else [],
        kafka_topic="queuing.transactions",
        kafka_partition=0,
        kafka_offset=1,
    )


def flagged_case(status: str = "new", *, opened_hours_ago: float = 48):
    """A stored fraud transaction with review ``status``, received
    ``opened_hours_ago`` hours ago."""
    from django.utils import timezone

    row = stored_transaction("fraud")
    row.review_status = status
    row.received_at = timezone.now() - timedelta(hours=opened_hours_ago)
    row.save()
    return row


def stored_payment(
    source: str,
    target: str,
    amount: str = "10.00",
    *,
    outcome: str = "legit",
    timestamp: datetime = NOW,
    review_status: str = "",
    currency: str = "EUR",
) -> "TransactionRow":  # noqa: F821
    """A stored payment from ``source`` to ``target``: the money-flow
    network's edges and the activity chart's points."""
    from transactions_app.models import Transaction as TransactionRow

    return TransactionRow.objects.create(
        transaction_id=uuid.uuid4(),
        source=source,
        target=target,
        amount=Decimal(amount),
        currency=currency,
        timestamp=timestamp,
        received_at=timestamp,
        outcome=outcome,
        review_status=review_status or ("new" if outcome != "legit" else ""),
        kafka_topic="queuing.transactions",
        kafka_partition=0,
        kafka_offset=1,
    )


def found_cycle(names=("a", "b", "c")) -> "TypologyFinding":  # noqa: F821
    """Payments of 1,000.00 round ``names`` an hour apart (the last back to
    the first), found by the typology scan: its one finding."""
    from transactions_app.typologies.services import typologies_scan

    for i, payer in enumerate(names):
        payee = names[(i + 1) % len(names)]
        stored_payment(payer, payee, "1000.00", timestamp=NOW + timedelta(hours=i))
    result = typologies_scan(
        since=NOW - timedelta(days=1), until=NOW + timedelta(days=1)
    )
    return result.findings[0]
