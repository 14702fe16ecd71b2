"""The analysts' work queues: my cases, the unassigned ones by priority,
and the escalated ones; each open cases only, in priority order.

Priority is the score first (what the rules and the model make of the
case), then how close the case is to its review deadline (stored longer
ago is more urgent: ``REVIEW_SLA_HOURS`` after it was stored it is
escalated), then the amount at stake. The partial index ``tx_open_queue``
(open cases only, in this order) answers every queue without a sort.
"""

from datetime import datetime, timedelta

from django.db.models import QuerySet

from ..models import ReviewStatus, Transaction
from .selectors import OPEN_REVIEW_STATUSES

QUEUES = {
    "mine": "My cases",
    "unassigned": "Unassigned, by priority",
    "escalated": "Escalated",
}
QUEUE_EMPTY = {
    "mine": "You have no other open cases.",
    "unassigned": "No unassigned cases are waiting.",
    "escalated": "No other escalated cases are waiting.",
}
PRIORITY_ORDER = ("-score", "received_at", "-amount", "id")


class UnknownQueue(ValueError):
    """A queue name that is not one of ``QUEUES``."""


def queue_filter(queryset: QuerySet, *, queue: str, user) -> QuerySet:
    """The open cases of ``queryset`` in ``queue`` for ``user``: assigned
    to them (any open status), new and assigned to nobody, or escalated
    (whoever has them). Not ordered: ``PRIORITY_ORDER`` is the queue's
    order."""
    open_cases = queryset.filter(review_status__in=OPEN_REVIEW_STATUSES)
    if queue == "mine":
        return open_cases.filter(assignee=user)
    if queue == "unassigned":
        return open_cases.filter(review_status=ReviewStatus.NEW, assignee__isnull=True)
    if queue == "escalated":
        return open_cases.filter(review_status=ReviewStatus.ESCALATED)
    raise UnknownQueue(f"There is no queue {queue!r}; there are {', '.join(QUEUES)}.")


def next_in_queue(*, queue: str, user, after: int | None = None) -> Transaction | None:
    """The first case of ``queue`` in priority order other than the case
    ``after`` (its primary key: the one just looked at); None when there
    is none. Reads only; taking an unassigned case is
    ``services.transaction_take_next``."""
    cases = queue_filter(Transaction.objects.all(), queue=queue, user=user)
    if after is not None:
        cases = cases.exclude(pk=after)
    return cases.order_by(*PRIORITY_ORDER).first()


def review_deadline(case: Transaction, *, sla_hours: float) -> datetime:
    """When ``case`` is escalated if still open: ``sla_hours`` after it
    was stored."""
    return case.received_at + timedelta(hours=sla_hours)


def countdown_words(deadline: datetime, *, now: datetime) -> str:
    """The time left to ``deadline`` in words, to the minute: "3 h 05 min
    left", "overdue by 1 d 2 h"."""
    seconds = int((deadline - now).total_seconds())
    span = _span_words(abs(seconds))
    return f"{span} left" if seconds >= 0 else f"overdue by {span}"


def _span_words(seconds: int) -> str:
    minutes = seconds // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"
