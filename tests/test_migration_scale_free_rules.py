"""Migration 0019: an installation made with the fixed-amount defaults gets
the ones that follow the scale of each currency, and the EUR-only currency
allow list switched off, only where nobody changed them."""

import pytest

from tests.migrations import migrate, migrated_back_to
from tests.test_migration_default_rules import live_versions, old_rule

BEFORE = [("transactions_app", "0018_merchant_category_default_rule")]
AFTER = [("transactions_app", "0019_scale_free_default_rules")]
REVISED = ["sum_in_window", "card_testing", "currency_allow_list"]


@pytest.fixture
def old_apps(transactional_db):
    with migrated_back_to(BEFORE) as apps:
        apps.get_model("transactions_app", "Rule").objects.filter(
            name__in=REVISED
        ).delete()
        yield apps


def live_params(apps, name) -> dict:
    return (
        apps.get_model("transactions_app", "RuleVersion")
        .objects.get(rule__name=name, status="live")
        .params
    )


def test_untouched_defaults_follow_the_scale_and_the_allow_list_is_off(old_apps):
    old_rule(
        old_apps,
        "sum_in_window",
        "sum_in_window",
        {"max_total": "10000", "window_seconds": 3600},
    )
    old_rule(
        old_apps,
        "card_testing",
        "card_testing",
        {"small_amount": "2.00", "min_count": 5, "window_seconds": 600},
        weight=60,
    )
    old_rule(
        old_apps, "currency_allow_list", "currency_allow_list", {"currencies": ["EUR"]}
    )
    apps = migrate(AFTER)
    live = live_versions(apps)
    assert live["sum_in_window"] == (2, True)
    assert live_params(apps, "sum_in_window")["median_factor"] == 10
    assert live["card_testing"] == (2, True)
    assert live_params(apps, "card_testing")["small_share"] == 0.01
    assert live["currency_allow_list"] == (2, False)


def test_rules_their_users_edited_are_kept(old_apps):
    old_rule(
        old_apps,
        "sum_in_window",
        "sum_in_window",
        {"max_total": "50000", "window_seconds": 3600},
    )
    old_rule(
        old_apps,
        "currency_allow_list",
        "currency_allow_list",
        {"currencies": ["EUR", "SEK"]},
    )
    apps = migrate(AFTER)
    live = live_versions(apps)
    assert live["sum_in_window"] == (1, True)
    assert live_params(apps, "sum_in_window") == {
        "max_total": "50000",
        "window_seconds": 3600,
    }
    assert live["currency_allow_list"] == (1, True)
    assert "card_testing" not in live
