"""Writes of the typology scan: its findings stored as cases, and their
review.

A scan's candidates become ``TypologyFinding`` rows: a shape found for the
first time is a new case; one found again while its case is open gets the
payments and explanation of the latest scan; a decided case is left as
decided (its audit trail says what the analyst concluded on what was
shown). Review follows the transactions' workflow (``review.services``):
the same statuses and moves, an audit entry for every change, and a change
made on an older version refused.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction as db_transaction

from ..models import FindingEvent, ReviewStatus, Transaction, TypologyFinding
from ..review.selectors import OPEN_REVIEW_STATUSES
from ..review.services import ReviewRefused, each_at_its_version, workflow_move
from .explain import Payment, explain
from .scans import DEFAULT_SCAN, Candidate, ScanSettings, scan

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What a scan found: every finding (new ones first), how many were
    new, open and found again (updated), and decided and found again (left
    as decided)."""

    findings: list[TypologyFinding]
    created: int
    updated: int
    decided: int


def typologies_scan(
    *, since: datetime, until: datetime, settings: ScanSettings = DEFAULT_SCAN
) -> ScanResult:
    """Scan the payments of ``[since, until)`` and record what it found."""
    return findings_record(candidates=scan(since=since, until=until, settings=settings))


def typologies_scan_period(*, days: int, until: datetime) -> ScanResult:
    """Scan the ``days`` of event time up to ``until``, and log the
    result (the periodic task and ``scantypologies``)."""
    result = typologies_scan(since=until - timedelta(days=days), until=until)
    logger.info(
        "typology scan over %d days: %d new findings, %d found again open, "
        "%d found again decided",
        days,
        result.created,
        result.updated,
        result.decided,
    )
    return result


@db_transaction.atomic
def findings_record(*, candidates: list[Candidate]) -> ScanResult:
    """Store ``candidates`` as findings (see the module's docstring)."""
    payments = _payments({pk for c in candidates for pk in c.row_ids})
    known = TypologyFinding.objects.select_for_update().in_bulk(
        [c.key for c in candidates], field_name="key"
    )
    created, updated, decided = [], [], []
    for candidate in candidates:
        involved = [payments[pk] for pk in candidate.row_ids if pk in payments]
        if not involved:  # deleted since the scan read them
            continue
        fields = _fields(candidate, involved)
        finding = known.get(candidate.key)
        if finding is None:
            created.append(TypologyFinding(key=candidate.key, **fields))
        elif finding.review_status in OPEN_REVIEW_STATUSES:
            _refresh(finding, fields)
            updated.append(finding)
        else:
            decided.append(finding)
    TypologyFinding.objects.bulk_create(created)
    return ScanResult(
        findings=created + updated + decided,
        created=len(created),
        updated=len(updated),
        decided=len(decided),
    )


def _payments(row_ids: set[int]) -> dict[int, Payment]:
    rows = Transaction.objects.filter(pk__in=row_ids).values_list(
        "pk", "transaction_id", "source", "target", "amount", "currency", "timestamp"
    )
    return {pk: Payment(str(tid), *rest) for pk, tid, *rest in rows}


def _fields(candidate: Candidate, payments: list[Payment]) -> dict:
    explained = explain(candidate.typology, candidate.accounts, payments)
    return {
        "typology": candidate.typology,
        "accounts": list(candidate.accounts),
        "transaction_ids": [
            p.transaction_id for p in sorted(payments, key=lambda p: p.at)
        ],
        "explanation": explained.text,
        "amount": explained.amount,
        "currency": explained.currency,
        "first_at": explained.first_at,
        "last_at": explained.last_at,
    }


def _refresh(finding: TypologyFinding, fields: dict) -> None:
    for name, value in fields.items():
        setattr(finding, name, value)
    finding.save()  # updated_at: now


@db_transaction.atomic
def finding_review(
    *, finding_id: int, reviewer, to_status: str, expected_version: int, note: str = ""
) -> TypologyFinding:
    """Move a finding to ``to_status`` as the review workflow allows;
    taking it into review assigns it to the reviewer when nobody has it."""
    finding = _locked(finding_id, expected_version)
    to_status = workflow_move(
        finding, f"Finding {finding.pk}", reviewer=reviewer, to_status=to_status
    )
    return _record(finding, reviewer, to_status, note)


@db_transaction.atomic
def finding_assign(
    *, finding_id: int, assignee, actor, expected_version: int, note: str = ""
) -> TypologyFinding:
    """Give a finding to ``assignee`` (None: unassign)."""
    finding = _locked(finding_id, expected_version)
    finding.assignee = assignee
    return _record(finding, actor, ReviewStatus(finding.review_status), note)


def findings_review_bulk(*, finding_ids, user, to_status: str | None) -> list[str]:
    """Move many findings to ``to_status`` (None: assign them to ``user``),
    each at the version it has now and with its own audit entry; returns
    why any were refused."""

    def change(pk: int, version: int) -> None:
        if to_status is None:
            finding_assign(
                finding_id=pk, assignee=user, actor=user, expected_version=version
            )
        else:
            finding_review(
                finding_id=pk,
                reviewer=user,
                to_status=to_status,
                expected_version=version,
            )

    return each_at_its_version(TypologyFinding, finding_ids, change)


def _locked(finding_id: int, expected_version: int) -> TypologyFinding:
    finding = TypologyFinding.objects.select_for_update().get(pk=finding_id)
    if finding.review_version != expected_version:
        raise ReviewRefused(
            f"Finding {finding.pk} was changed meanwhile; reload it and try again."
        )
    return finding


def _record(finding: TypologyFinding, actor, to_status, note: str) -> TypologyFinding:
    from_status = finding.review_status
    finding.review_status = to_status
    finding.review_version += 1
    finding.save(update_fields=["review_status", "review_version", "assignee"])
    FindingEvent.objects.create(
        finding=finding,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        assignee=finding.assignee,
        note=note,
    )
    return finding
