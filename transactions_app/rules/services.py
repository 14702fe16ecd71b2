"""Writes to rules and account lists. Admin actions and forms call these."""

from django.conf import settings
from django.db import transaction as db_transaction
from django.db.models import Max
from django.utils import timezone

from ..detection import ACCOUNT_PATTERN, RuleConfigError, build_rule
from ..models import AccountListEntry, Backtest, Rule, RuleVersion
from .tasks import run_backtest


class RuleChangeRefused(Exception):
    """A rule change that is not allowed; the message says why."""


def rule_config_check(*, kind: str, name: str, params, weight: int, force: str) -> None:
    """Raise ``RuleChangeRefused`` unless the engine can build this rule,
    so that no configuration that cannot work is ever stored."""
    try:
        build_rule(
            kind=kind,
            name=name,
            version=1,
            params=params,
            weight=weight,
            force=force,
        )
    except RuleConfigError as error:
        raise RuleChangeRefused(str(error)) from None


@db_transaction.atomic
def rule_create(*, name: str, kind: str, author, **version_fields) -> RuleVersion:
    """Create a rule with its first version (live at once unless four-eyes
    approval is on)."""
    rule_config_check(
        kind=kind,
        name=name,
        params=version_fields.get("params", {}),
        weight=version_fields.get("weight", 0),
        force=version_fields.get("force", ""),
    )
    rule = Rule.objects.create(name=name, kind=kind, created_by=author)
    return rule_version_propose(rule=rule, author=author, **version_fields)


@db_transaction.atomic
def rule_version_propose(
    *,
    rule: Rule,
    author,
    params: dict,
    weight: int,
    force: str = "",
    enabled: bool = True,
    description: str = "",
    note: str = "",
) -> RuleVersion:
    """Record a new version of ``rule``. With four-eyes approval on
    (``RULES_FOUR_EYES``) it waits for a second rule manager; otherwise it
    goes live at once."""
    rule_config_check(
        kind=rule.kind, name=rule.name, params=params, weight=weight, force=force
    )
    Rule.objects.select_for_update().get(pk=rule.pk)  # serialise numbering
    number = (rule.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = RuleVersion.objects.create(
        rule=rule,
        number=number,
        params=params,
        weight=weight,
        force=force,
        enabled=enabled,
        description=description,
        note=note,
        author=author,
        status=RuleVersion.Status.PENDING,
    )
    if not settings.RULES_FOUR_EYES:
        _make_live(version, decided_by=author)
    return version


@db_transaction.atomic
def rule_version_approve(*, version: RuleVersion, approver) -> RuleVersion:
    """Put a pending version live; its rule's live version retires.

    Refused unless the approver may approve rule versions and, with
    four-eyes approval on, is not the version's author.
    """
    version = RuleVersion.objects.select_for_update().get(pk=version.pk)
    _check_decision(version, approver)
    _make_live(version, decided_by=approver)
    return version


@db_transaction.atomic
def rule_version_reject(*, version: RuleVersion, approver) -> RuleVersion:
    version = RuleVersion.objects.select_for_update().get(pk=version.pk)
    _check_decision(version, approver)
    version.status = RuleVersion.Status.REJECTED
    version.decided_by, version.decided_at = approver, timezone.now()
    version.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    return version


def _check_decision(version: RuleVersion, approver) -> None:
    if version.status != RuleVersion.Status.PENDING:
        raise RuleChangeRefused(
            f"{version} is not waiting for approval (it is {version.status})."
        )
    if not approver.has_perm("transactions_app.approve_ruleversion"):
        raise RuleChangeRefused(f"{approver} may not approve or reject rule versions.")
    if settings.RULES_FOUR_EYES and version.author_id == approver.pk:
        raise RuleChangeRefused(
            f"{version} was written by {approver}; a second rule manager must "
            "decide on it (four-eyes approval)."
        )


def _make_live(version: RuleVersion, *, decided_by) -> None:
    RuleVersion.objects.filter(
        rule=version.rule, status=RuleVersion.Status.LIVE
    ).update(status=RuleVersion.Status.RETIRED, updated_at=timezone.now())
    version.status = RuleVersion.Status.LIVE
    version.decided_by, version.decided_at = decided_by, timezone.now()
    version.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])


def account_list_add(*, list_name: str, account: str, added_by, note: str = ""):
    """Put ``account`` on a list (idempotent); returns the entry."""
    entry, _created = AccountListEntry.objects.get_or_create(
        list_name=list_name,
        account=account,
        defaults={"added_by": added_by, "note": note},
    )
    return entry


class AccountImportRefused(ValueError):
    """A file of accounts that cannot be imported; the text names the line.
    Nothing of it was imported."""


@db_transaction.atomic
def account_list_import(*, list_name: str, rows, added_by=None) -> tuple[int, int]:
    """Put every ``(line, account, note)`` of ``rows`` on ``list_name`` in
    one transaction: all or, at the first account id that could never
    match a transaction, none (``AccountImportRefused``). Accounts already
    on the list are kept as they are. Returns (added, already there)."""
    if list_name not in AccountListEntry.ListName.values:
        raise AccountImportRefused(
            f"unknown list {list_name!r}; known: "
            + ", ".join(AccountListEntry.ListName.values)
        )
    entries = {}
    for line, account, note in rows:
        if not ACCOUNT_PATTERN.fullmatch(account):
            raise AccountImportRefused(
                f"line {line}: {account[:80]!r} is not an account id (1-64 "
                "letters, digits, '_', '.', ':' or '-', starting with a letter "
                "or digit)"
            )
        entries.setdefault(account, note[:200])
    present = set(
        AccountListEntry.objects.filter(
            list_name=list_name, account__in=list(entries)
        ).values_list("account", flat=True)
    )
    AccountListEntry.objects.bulk_create(
        AccountListEntry(list_name=list_name, account=a, note=n, added_by=added_by)
        for a, n in entries.items()
        if a not in present
    )
    return len(entries) - len(present), len(present)


def account_list_remove(*, list_name: str, account: str) -> bool:
    deleted, _ = AccountListEntry.objects.filter(
        list_name=list_name, account=account
    ).delete()
    return deleted > 0


def backtest_request(*, version: RuleVersion, days: int, requested_by) -> Backtest:
    """Queue a backtest of ``version`` over the last ``days`` days; the
    Celery task starts after the commit."""
    if days < 1:
        raise ValueError("a backtest covers at least one day")
    backtest = Backtest.objects.create(
        version=version, days=days, requested_by=requested_by
    )
    db_transaction.on_commit(lambda: run_backtest.delay(backtest.pk), robust=True)
    return backtest
