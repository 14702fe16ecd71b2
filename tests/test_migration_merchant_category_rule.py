"""Migration 0018: an installation made before the enrichment fields gets
the merchant-category default rule, live; one that already has a rule of
that name keeps its own."""

import pytest

from tests.migrations import migrate, migrated_back_to

BEFORE = [("transactions_app", "0017_transaction_enrichment")]
AFTER = [("transactions_app", "0018_merchant_category_default_rule")]
NAME = "new_merchant_category"


@pytest.fixture
def old_apps(transactional_db):
    with migrated_back_to(BEFORE) as apps:
        yield apps


def live(apps):
    return apps.get_model("transactions_app", "RuleVersion").objects.get(
        rule__name=NAME, status="live"
    )


def test_the_rule_is_installed_live_where_missing(old_apps):
    old_apps.get_model("transactions_app", "Rule").objects.filter(name=NAME).delete()
    version = live(migrate(AFTER))
    assert (version.rule.kind, version.number, version.enabled) == (
        "unusual_attribute",
        1,
        True,
    )
    assert version.params == {"field": "merchant_category", "min_history": 10}


def test_a_rule_of_that_name_made_by_its_users_is_kept(old_apps):
    Rule = old_apps.get_model("transactions_app", "Rule")
    Rule.objects.filter(name=NAME).delete()
    rule = Rule.objects.create(name=NAME, kind="unusual_attribute")
    old_apps.get_model("transactions_app", "RuleVersion").objects.create(
        rule=rule,
        number=3,
        params={"field": "channel"},
        weight=5,
        status="live",
    )
    version = live(migrate(AFTER))
    assert (version.number, version.params, version.weight) == (
        3,
        {"field": "channel"},
        5,
    )
