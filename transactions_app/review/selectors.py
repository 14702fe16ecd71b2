"""Reads of the review: an account's recent activity, its activity over
time (the case page's chart), and the open cases linked to a case on the
case page, the typology findings a payment is part of, who may review,
the transactions a rule fired on (the rule filter), and the review queue
by status. (Per-rule
precision: ``rules.quality``.)"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Count,
    Q,
    Sum,
)

from ..models import ReviewStatus, Transaction, TypologyFinding


def account_recent_activity(*, account: str, before, limit: int = 20) -> dict:
    """What a source account sent up to ``before``: its last ``limit``
    transactions and its totals over the last hour and day."""
    sent = Transaction.objects.filter(source=account, timestamp__lte=before)
    totals = {
        label: sent.filter(timestamp__gt=before - span).aggregate(
            count=Count("id"), total=Sum("amount")
        )
        for label, span in (("hour", timedelta(hours=1)), ("day", timedelta(days=1)))
    }
    return {"recent": list(sent.order_by("-timestamp", "-id")[:limit]), **totals}


# The activity chart: the last ``ACTIVITY_DAYS`` days up to a moment, at
# most ``ACTIVITY_POINTS`` transactions (the newest) an account sent and as
# many it received. The case page shows a day past the case as well: what
# the account did next is part of the decision.
ACTIVITY_DAYS = 30
ACTIVITY_POINTS = 500
ACTIVITY_AFTER_CASE = timedelta(days=1)
ACTIVITY_ROLES = ("source", "target")


def account_activity_series(
    *,
    account: str,
    role: str,
    until,
    days: int = ACTIVITY_DAYS,
    limit: int = ACTIVITY_POINTS,
) -> dict:
    """The transactions ``account`` sent (``role="source"``) or received
    (``"target"``) in the ``days`` days up to ``until``, oldest first, as
    columns a chart draws: ``t`` (epoch seconds), ``amount`` (as float),
    ``flagged`` (review or fraud) and ``id`` (the transaction id, as text).
    At most ``limit``, the newest; ``truncated`` says there were more. One
    query, over the index on (role, -timestamp)."""
    if role not in ACTIVITY_ROLES:
        raise ValueError(f"role must be one of {ACTIVITY_ROLES}, not {role!r}")
    rows = list(
        Transaction.objects.filter(
            **{role: account},
            timestamp__gt=until - timedelta(days=days),
            timestamp__lte=until,
        )
        .order_by("-timestamp", "-id")
        .values_list("timestamp", "amount", "outcome", "transaction_id")[: limit + 1]
    )
    truncated = len(rows) > limit
    rows = rows[:limit][::-1]
    return {
        "account": account,
        "role": role,
        "days": days,
        "until": until.timestamp(),
        "truncated": truncated,
        "t": [timestamp.timestamp() for timestamp, *_ in rows],
        "amount": [float(amount) for _, amount, *_ in rows],
        "flagged": [outcome in Transaction.FLAGGED_OUTCOMES for *_, outcome, _ in rows],
        "id": [str(transaction_id) for *_, transaction_id in rows],
    }


def case_activity(*, case: Transaction) -> dict:
    """The activity chart of a case page: what its payer sent and what its
    receiver received, up to a day after the case (two queries), and the
    case's moment to mark."""
    until = case.timestamp + ACTIVITY_AFTER_CASE
    return {
        "case": {"t": case.timestamp.timestamp(), "id": str(case.transaction_id)},
        "payer": account_activity_series(
            account=case.source, role="source", until=until
        ),
        "receiver": account_activity_series(
            account=case.target, role="target", until=until
        ),
    }


# Cases an analyst still has to decide.
OPEN_REVIEW_STATUSES = (
    ReviewStatus.NEW,
    ReviewStatus.IN_REVIEW,
    ReviewStatus.ESCALATED,
)
LINKED_CASES_SHOWN = 20


def linked_open_cases(*, case: Transaction, limit: int = LINKED_CASES_SHOWN) -> list:
    """The other open cases (``OPEN_REVIEW_STATUSES``) on the accounts of
    ``case``: sent or received by its payer or its receiver, newest first,
    at most ``limit``. A card's other fraud, or a mule's other payers, are
    decided together. One query, over the indexes on source and target."""
    accounts = (case.source, case.target)
    return list(
        Transaction.objects.filter(
            Q(source__in=accounts) | Q(target__in=accounts),
            review_status__in=OPEN_REVIEW_STATUSES,
        )
        .exclude(pk=case.pk)
        .order_by("-timestamp", "-id")[:limit]
    )


FINDINGS_ON_CASE = 10


def findings_with_payment(*, transaction_id, limit: int = FINDINGS_ON_CASE) -> list:
    """The typology findings ``transaction_id`` is one of the payments of,
    newest first, at most ``limit``: one containment query answered by the
    GIN index on PostgreSQL (migration 0027), a pass in Python elsewhere."""
    wanted = str(transaction_id)
    findings = TypologyFinding.objects.order_by("-found_at", "-id")
    if connection.vendor == "postgresql":
        return list(findings.filter(transaction_ids__contains=[wanted])[:limit])
    return [f for f in findings.iterator() if wanted in f.transaction_ids][:limit]


def reviewers():
    """Active users who may review transactions (directly, through a group,
    or as superusers), by name: the assignee filter's choices."""
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


def transactions_where_rule_fired(queryset, rule: str):
    """The transactions of ``queryset`` where ``rule`` fired: a containment
    query answered by the GIN index on PostgreSQL, a pass in Python
    elsewhere (SQLite has no JSON containment)."""
    if connection.vendor == "postgresql":
        return queryset.filter(reasons__contains=[{"rule": rule}])
    fired = [
        pk
        for pk, reasons in queryset.exclude(reasons=[])
        .values_list("pk", "reasons")
        .iterator()
        if any(reason.get("rule") == rule for reason in reasons)
    ]
    return queryset.filter(pk__in=fired)


def review_status_counts() -> list[tuple[str, int]]:
    """(label, count) for every review status, in workflow order."""
    counts = dict(
        Transaction.objects.exclude(review_status="")
        .values_list("review_status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [(status.label, counts.get(status.value, 0)) for status in ReviewStatus]
