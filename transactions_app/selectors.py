"""Reads. Views, consumers and tasks fetch transactions through here."""

from datetime import datetime

from . import detection
from .models import Transaction

RESTORE_LIMIT = 500_000


def transactions_latest(*, limit: int = 100) -> list[Transaction]:
    """The most recently classified transactions, newest first."""
    return list(Transaction.objects.order_by("-received_at", "-id")[:limit])


def transaction_get(*, transaction_id) -> Transaction | None:
    return Transaction.objects.filter(transaction_id=transaction_id).first()


def transactions_for_restore(
    *, topic: str, partition: int, since: datetime, limit: int = RESTORE_LIMIT
) -> list[detection.Transaction]:
    """Transactions read from one input partition since ``since`` (at most
    ``limit``, the newest), oldest first, as engine values: the history a
    detector needs to rebuild that partition's windows."""
    rows = (
        Transaction.objects.filter(
            kafka_topic=topic, kafka_partition=partition, timestamp__gte=since
        )
        .order_by("-timestamp")
        .values_list(
            "transaction_id", "source", "target", "amount", "currency", "timestamp"
        )[:limit]
    )
    return [detection.Transaction(*row) for row in reversed(rows)]


def dead_letters_by_ids(*, dead_letter_ids) -> list:
    from .models import DeadLetter

    return list(DeadLetter.objects.filter(pk__in=dead_letter_ids).order_by("id"))


def account_recent_activity(*, account: str, before, limit: int = 20) -> dict:
    """What a source account sent up to ``before``: its last ``limit``
    transactions and its totals over the last hour and day."""
    from datetime import timedelta

    from django.db.models import Count, Sum

    sent = Transaction.objects.filter(source=account, timestamp__lte=before)
    totals = {
        label: sent.filter(timestamp__gt=before - span).aggregate(
            count=Count("id"), total=Sum("amount")
        )
        for label, span in (("hour", timedelta(hours=1)), ("day", timedelta(days=1)))
    }
    return {"recent": list(sent.order_by("-timestamp", "-id")[:limit]), **totals}


def reviewers():
    """Active users who may review transactions (directly, through a group,
    or as superusers), by name: the assignee filter's choices."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    may_review = (
        Q(is_superuser=True)
        | Q(user_permissions__codename="review_transaction")
        | Q(groups__permissions__codename="review_transaction")
    )
    user_model = get_user_model()
    return (
        user_model.objects.filter(may_review, is_active=True)
        .distinct()
        .order_by(user_model.USERNAME_FIELD)
    )


def rule_names() -> list[str]:
    """Every rule's name: what the rule filter offers (verdicts name rules,
    and rules are never deleted)."""
    from .models import Rule

    return list(Rule.objects.order_by("name").values_list("name", flat=True))
