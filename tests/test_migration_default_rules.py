"""Migration 0015: an installation made with the earlier default rules gets
the rules relative to each payer's history; the two fixed-amount rules are
switched off, and fan-in revised, only where nobody changed them."""

import pytest

from tests.migrations import migrate, migrated_back_to

BEFORE = [("transactions_app", "0014_alert_outbox")]
AFTER = [("transactions_app", "0015_revised_default_rules")]


@pytest.fixture
def old_apps(transactional_db):
    with migrated_back_to(BEFORE) as apps:
        yield apps


def old_rule(apps, name, kind, params, weight=50):
    """A rule as the earlier default set installed it, live at version 1."""
    rule = apps.get_model("transactions_app", "Rule").objects.create(
        name=name, kind=kind
    )
    apps.get_model("transactions_app", "RuleVersion").objects.create(
        rule=rule, number=1, params=params, weight=weight, status="live"
    )


def live_versions(apps) -> dict:
    versions = apps.get_model("transactions_app", "RuleVersion").objects
    return {
        v.rule.name: (v.number, v.enabled)
        for v in versions.filter(status="live").select_related("rule")
    }


def test_untouched_defaults_are_switched_off_and_edited_ones_kept(old_apps):
    old_apps.get_model("transactions_app", "Rule").objects.filter(
        name__in=["amount_baseline", "amount_spree", "fan_in"]
    ).delete()
    old_rule(
        old_apps,
        "fan_in",
        "fan_in",
        {"min_sources": 6, "window_seconds": 1800, "new_senders_only": True},
        weight=60,
    )
    old_rule(
        old_apps, "amount_anomaly", "amount_anomaly", {"factor": 8, "min_history": 5}
    )
    old_rule(
        old_apps,
        "new_counterparty",
        "new_counterparty",
        {"min_amount": "2000", "min_history": 3},  # edited by its users
    )
    apps = migrate(AFTER)
    live = live_versions(apps)
    assert live["amount_anomaly"] == (2, False)
    assert live["fan_in"] == (2, True)
    fan_in = apps.get_model("transactions_app", "RuleVersion").objects.get(
        rule__name="fan_in", status="live"
    )
    assert (fan_in.params["established_after_seconds"], fan_in.weight) == (
        7 * 86400,
        60,
    )
    assert live["new_counterparty"] == (1, True)
    assert live["amount_baseline"] == (1, True)
    assert live["amount_spree"] == (1, True)
