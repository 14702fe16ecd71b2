"""Reads of rules and lists, and the rule set built from them."""

from collections import defaultdict

from django.conf import settings
from django.db.models import Count, Max

from ..detection import OutcomeBands, Rule, RuleSet, build_rule
from ..models import AccountListEntry, RuleVersion


def rule_versions_live():
    """The live, enabled version of every rule."""
    return (
        RuleVersion.objects.filter(status=RuleVersion.Status.LIVE, enabled=True)
        .select_related("rule")
        .order_by("rule__name")
    )


def rules_fingerprint() -> tuple:
    """Changes whenever a rule version or a list entry is added, changed or
    removed; two cheap aggregates a running detector polls."""
    versions = RuleVersion.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    entries = AccountListEntry.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    return (versions["n"], versions["t"], entries["n"], entries["t"])


def account_lists() -> dict[str, frozenset[str]]:
    lists = defaultdict(set)
    for list_name, account in AccountListEntry.objects.values_list(
        "list_name", "account"
    ):
        lists[list_name].add(account)
    return {name: frozenset(accounts) for name, accounts in lists.items()}


def outcome_bands() -> OutcomeBands:
    return OutcomeBands(
        review=settings.DETECTION_REVIEW_SCORE, fraud=settings.DETECTION_FRAUD_SCORE
    )


def ruleset_live(*, replacing: RuleVersion | None = None) -> RuleSet:
    """The rule set in force, built from the database; with ``replacing``,
    that version takes the place of its rule's live one (a backtest).

    Raises ``RuleConfigError`` if a stored version cannot be built (which the
    services prevent, but a hand-edited database might not).
    """
    versions = [
        v
        for v in rule_versions_live()
        if replacing is None or v.rule_id != replacing.rule_id
    ]
    if replacing is not None and replacing.enabled:
        versions.append(replacing)
    rules = tuple(rule_from_version(version) for version in versions)
    return RuleSet(rules=rules, bands=outcome_bands(), lists=account_lists())


def rule_from_version(version: RuleVersion) -> Rule:
    return build_rule(
        kind=version.rule.kind,
        name=version.rule.name,
        version=version.number,
        params=version.params,
        weight=version.weight,
        force=version.force,
        description=version.description,
    )
