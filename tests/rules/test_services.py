"""Rule versions: every change is a new version; with four-eyes approval a
second rule manager puts it live."""

import pytest

from transactions_app.models import Rule, RuleVersion
from transactions_app.rules.selectors import rules_fingerprint, ruleset_live
from transactions_app.rules.services import (
    RuleChangeRefused,
    account_list_add,
    rule_create,
    rule_version_approve,
    rule_version_propose,
    rule_version_reject,
)

pytestmark = pytest.mark.django_db

VELOCITY = {"max_count": 3, "window_seconds": 60}


def test_a_new_rule_waits_for_a_second_manager(four_eyes, managers):
    alice, bob = managers
    version = rule_create(
        name="burst", kind="velocity", author=alice, params=VELOCITY, weight=40
    )
    assert version.status == RuleVersion.Status.PENDING
    assert "burst" not in {r.name for r in ruleset_live().rules}
    with pytest.raises(RuleChangeRefused, match="second rule manager"):
        rule_version_approve(version=version, approver=alice)
    rule_version_approve(version=version, approver=bob)
    version.refresh_from_db()
    assert (version.status, version.decided_by) == (RuleVersion.Status.LIVE, bob)
    assert "burst" in {r.name for r in ruleset_live().rules}


def test_a_change_is_a_new_version_and_the_old_one_retires(four_eyes, managers):
    alice, bob = managers
    first = rule_create(
        name="burst", kind="velocity", author=alice, params=VELOCITY, weight=40
    )
    rule_version_approve(version=first, approver=bob)
    second = rule_version_propose(
        rule=first.rule, author=bob, params=VELOCITY | {"max_count": 9}, weight=40
    )
    assert second.number == 2
    assert [r.max_count for r in ruleset_live().rules if r.name == "burst"] == [3]
    rule_version_approve(version=second, approver=alice)
    first.refresh_from_db()
    assert first.status == RuleVersion.Status.RETIRED
    [burst] = [r for r in ruleset_live().rules if r.name == "burst"]
    assert (burst.max_count, burst.version) == (9, 2)


def test_users_without_the_permission_cannot_approve(
    four_eyes, managers, django_user_model
):
    analyst = django_user_model.objects.create_user(
        "carol", password="x", is_staff=True
    )
    version = rule_create(
        name="burst", kind="velocity", author=managers[0], params=VELOCITY, weight=40
    )
    with pytest.raises(RuleChangeRefused, match="may not approve"):
        rule_version_approve(version=version, approver=analyst)


def test_a_rejected_version_never_goes_live(four_eyes, managers):
    alice, bob = managers
    version = rule_create(
        name="burst", kind="velocity", author=alice, params=VELOCITY, weight=40
    )
    rule_version_reject(version=version, approver=bob)
    with pytest.raises(RuleChangeRefused, match="not waiting for approval"):
        rule_version_approve(version=version, approver=bob)
    assert "burst" not in {r.name for r in ruleset_live().rules}


def test_without_four_eyes_changes_go_live_at_once(settings, managers):
    settings.RULES_FOUR_EYES = False
    version = rule_create(
        name="burst", kind="velocity", author=managers[0], params=VELOCITY, weight=40
    )
    assert version.status == RuleVersion.Status.LIVE


def test_a_disabled_version_takes_the_rule_out(settings, managers):
    settings.RULES_FOUR_EYES = False
    version = rule_create(
        name="burst", kind="velocity", author=managers[0], params=VELOCITY, weight=40
    )
    rule_version_propose(
        rule=version.rule, author=managers[0], params=VELOCITY, weight=40, enabled=False
    )
    assert "burst" not in {r.name for r in ruleset_live().rules}


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("velocity", {"max_count": 3, "window_seconds": -60}, "window must be"),
        ("velocity", {"max_count": 3}, "missing parameter(s) for velocity"),
        ("teleport", {}, "unknown rule type"),
    ],
)
def test_configurations_that_cannot_work_are_refused(managers, kind, params, message):
    with pytest.raises(RuleChangeRefused) as error:
        rule_create(name="bad", kind=kind, author=managers[0], params=params, weight=5)
    assert message in str(error.value)
    assert not Rule.objects.filter(name="bad").exists()


def test_default_rules_are_live_with_the_original_rule():
    ruleset = ruleset_live()
    names = {rule.name for rule in ruleset.rules}
    assert names == {
        "amount_threshold",
        "velocity",
        "card_testing",
        "fan_in",
        "amount_baseline",
        "new_receiver",
        "amount_spree",
        "amount_spree_large",
        "sum_in_window",
        "new_merchant_category",
        "block_list",
        "watch_list",
    }
    [original] = [r for r in ruleset.rules if r.name == "amount_threshold"]
    assert (str(original.threshold), original.currency, original.weight) == (
        "900",
        "EUR",
        100,
    )


def test_the_fingerprint_changes_with_rules_and_lists(settings, managers):
    settings.RULES_FOUR_EYES = False
    before = rules_fingerprint()
    account_list_add(list_name="block", account="BAD", added_by=managers[0])
    after_list = rules_fingerprint()
    rule_create(
        name="burst", kind="velocity", author=managers[0], params=VELOCITY, weight=40
    )
    assert len({before, after_list, rules_fingerprint()}) == 3
    assert ruleset_live().lists == {"block": frozenset({"BAD"})}
