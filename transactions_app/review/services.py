"""Analyst review of flagged transactions: status changes and assignment.

Every change writes an immutable ``ReviewEvent`` (who, when, from → to,
assignee, note) and bumps the transaction's ``review_version``; a change
made against an older version is refused, so two analysts working on one
case at once never overwrite each other silently.
"""

from django.db import transaction as db_transaction
from django.db.models import Exists, F, OuterRef

from ..models import ReviewEvent, ReviewStatus, Transaction
from .queues import PRIORITY_ORDER, queue_filter

S = ReviewStatus
ALLOWED = {
    S.NEW: {S.IN_REVIEW, S.CONFIRMED, S.FALSE_POSITIVE, S.ESCALATED},
    S.IN_REVIEW: {S.NEW, S.CONFIRMED, S.FALSE_POSITIVE, S.ESCALATED},
    S.ESCALATED: {S.IN_REVIEW, S.CONFIRMED, S.FALSE_POSITIVE},
    S.CONFIRMED: {S.IN_REVIEW},  # reopened
    S.FALSE_POSITIVE: {S.IN_REVIEW},  # reopened
}


class ReviewRefused(Exception):
    """A review change that is not allowed; the message says why."""


@db_transaction.atomic
def transaction_review(
    *,
    transaction_id: int,
    reviewer,
    to_status: str,
    expected_version: int,
    note: str = "",
) -> Transaction:
    """Move a flagged transaction to ``to_status``. Taking a case into
    review assigns it to the reviewer when nobody has it."""
    tx = _locked(transaction_id, expected_version)
    to_status = workflow_move(
        tx, f"Transaction {tx.transaction_id}", reviewer=reviewer, to_status=to_status
    )
    return _record(tx, reviewer, to_status, note)


def workflow_move(case, name: str, *, reviewer, to_status: str) -> ReviewStatus:
    """The review workflow's check of moving ``case`` (a flagged transaction
    or a typology finding: anything with ``review_status`` and
    ``assignee``) to ``to_status``, refused naming it as ``name``; taking it
    into review assigns it to ``reviewer`` when nobody has it. Returns the
    status to record."""
    to_status = ReviewStatus(to_status)
    current = ReviewStatus(case.review_status)
    if to_status not in ALLOWED[current]:
        raise ReviewRefused(
            f"{name} cannot go from {current.label} to {to_status.label}."
        )
    if to_status == S.IN_REVIEW and case.assignee_id is None:
        case.assignee = reviewer
    return to_status


@db_transaction.atomic
def transaction_assign(
    *, transaction_id: int, assignee, actor, expected_version: int, note: str = ""
) -> Transaction:
    """Give a flagged transaction to ``assignee`` (None: unassign)."""
    tx = _locked(transaction_id, expected_version)
    tx.assignee = assignee
    return _record(tx, actor, ReviewStatus(tx.review_status), note)


def transactions_review_bulk(
    *, transaction_ids, reviewer, to_status: str, note: str = ""
) -> list[str]:
    """Apply one status change to many transactions, each with its own
    audit entry; returns why any were refused."""
    return each_at_its_version(
        Transaction,
        transaction_ids,
        lambda pk, version: transaction_review(
            transaction_id=pk,
            reviewer=reviewer,
            to_status=to_status,
            expected_version=version,
            note=note,
        ),
    )


def transactions_assign_bulk(*, transaction_ids, assignee, actor) -> list[str]:
    """Assign many transactions, each with its own audit entry; returns why
    any were refused."""
    return each_at_its_version(
        Transaction,
        transaction_ids,
        lambda pk, version: transaction_assign(
            transaction_id=pk,
            assignee=assignee,
            actor=actor,
            expected_version=version,
        ),
    )


def each_at_its_version(model, ids, change) -> list[str]:
    """Run ``change(pk, version)`` for each row of ``model`` (a transaction
    or a finding) at the review version it has now (a bulk action acts on
    what the list shows); collect refusals."""
    refused = []
    rows = model.objects.filter(pk__in=ids)
    for pk, version in rows.values_list("pk", "review_version"):
        try:
            change(pk, version)
        except ReviewRefused as error:
            refused.append(str(error))
    return refused


def _locked(transaction_id: int, expected_version: int) -> Transaction:
    """The case ``transaction_id``, locked for the change, if it is still at
    ``expected_version``. Cases are flagged, so it is looked for among the
    flagged partitions first (a few, not every day of legit ones); a legit
    transaction (or none: ``DoesNotExist``) is told apart only when it is
    not found there."""
    tx = (
        Transaction.objects.flagged()
        .select_for_update()
        .filter(pk=transaction_id)
        .first()
    ) or Transaction.objects.get(pk=transaction_id)
    if not tx.review_status:
        raise ReviewRefused(
            f"Transaction {tx.transaction_id} is legit: there is nothing to review."
        )
    if tx.review_version != expected_version:
        last = tx.review_events.select_related("actor").last()
        who = f" by {last.actor}" if last and last.actor else ""
        raise ReviewRefused(
            f"Transaction {tx.transaction_id} was changed meanwhile{who}; "
            "reload it and try again."
        )
    return tx


def _record(tx: Transaction, actor, to_status, note: str) -> Transaction:
    from_status = tx.review_status
    tx.review_status = to_status
    tx.review_version += 1
    Transaction.objects.row(tx).update(
        review_status=to_status, review_version=tx.review_version, assignee=tx.assignee
    )
    ReviewEvent.objects.create(
        transaction=tx,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        assignee=tx.assignee,
        note=note,
    )
    return tx


@db_transaction.atomic
def transaction_take_next(*, reviewer) -> Transaction | None:
    """Assign the first case of the unassigned queue (new, nobody's, in
    ``queues.PRIORITY_ORDER``) to the reviewer and put it in review; None
    when the queue is empty. Two analysts asking at once get different
    cases (rows are locked, and locked ones skipped)."""
    tx = (
        queue_filter(
            Transaction.objects.select_for_update(skip_locked=True),
            queue="unassigned",
            user=reviewer,
        )
        .order_by(*PRIORITY_ORDER)
        .first()
    )
    if tx is None:
        return None
    tx.assignee = reviewer
    return _record(tx, reviewer, S.IN_REVIEW, "next case")


@db_transaction.atomic
def transaction_note(
    *, transaction_id: int, actor, expected_version: int, note: str
) -> Transaction:
    """Add a note to a case's audit trail, leaving its status and assignee
    as they are (an entry from a status to the same status). Like any
    change it needs the version the analyst saw, so a note never answers a
    case that changed meanwhile."""
    if not note.strip():
        raise ReviewRefused("A note needs some text.")
    tx = _locked(transaction_id, expected_version)
    return _record(tx, actor, ReviewStatus(tx.review_status), note)


def review_statuses_after(status: str) -> list[ReviewStatus]:
    """The statuses a case in ``status`` may move to, in workflow order
    (empty for a legit transaction, which is never reviewed)."""
    if not status:
        return []
    allowed = ALLOWED[ReviewStatus(status)]
    return [choice for choice in ReviewStatus if choice in allowed]


def transactions_escalate_overdue(
    *, opened_before, note: str, batch_size: int = 500
) -> int:
    """Escalate every case still new or in review that was opened (stored)
    before ``opened_before``; return how many were escalated.

    A batch of ``batch_size`` cases is escalated in one database
    transaction (one UPDATE, one INSERT of their audit entries, no actor:
    the system), not case by case: a backlog of thousands after an outage
    takes seconds. Each case is locked for it, and one locked at that
    moment (an analyst changing it) is skipped and left to the next run;
    the version bump makes an analyst's form opened before the
    escalation refused, as any concurrent change is. Batches walk up the
    primary key, so the run ends, and a second run finds nothing to do.
    A case is escalated once: one an analyst took back after its
    escalation (or reopened) stays with that analyst.
    """
    escalated_before = ReviewEvent.objects.filter(
        transaction=OuterRef("pk"), to_status=S.ESCALATED
    )
    overdue = (
        Transaction.objects.flagged()
        .filter(review_status__in=[S.NEW, S.IN_REVIEW], received_at__lt=opened_before)
        .exclude(Exists(escalated_before))
        .order_by("pk")
        .only("pk", "outcome", "timestamp", "review_status", "assignee")
    )
    escalated, last_pk = 0, 0
    while True:
        with db_transaction.atomic():
            cases = list(
                overdue.filter(pk__gt=last_pk).select_for_update(skip_locked=True)[
                    :batch_size
                ]
            )
            if not cases:
                return escalated
            _escalate(cases, note)
        escalated += len(cases)
        last_pk = cases[-1].pk


def _escalate(cases: list[Transaction], note: str) -> None:
    """Move the locked open ``cases`` to escalated, each with its audit
    entry, in two statements."""
    Transaction.objects.flagged().filter(pk__in=[case.pk for case in cases]).update(
        review_status=S.ESCALATED, review_version=F("review_version") + 1
    )
    ReviewEvent.objects.bulk_create(
        ReviewEvent(
            transaction_id=case.pk,
            actor=None,
            from_status=case.review_status,
            to_status=S.ESCALATED,
            assignee_id=case.assignee_id,
            note=note,
        )
        for case in cases
    )
