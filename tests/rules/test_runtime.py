"""The running detector's view of the rules: reloaded on change, and a rule
set that cannot be built never replaces the last good one."""

import logging

import pytest

from tests.detection.context import tx
from transactions_app.models import Rule, RuleVersion
from transactions_app.rules.runtime import LiveDetection
from transactions_app.rules.services import account_list_add

pytestmark = pytest.mark.django_db


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def live_detection(clock):
    return LiveDetection(
        topic="queuing.transactions",
        reload_interval=2.0,
        restore_seconds=3600,
        clock=clock,
    )


def test_a_list_change_is_picked_up_at_the_next_check(admin_user):
    clock = FakeClock()
    detection = live_detection(clock)
    assert detection.classify(tx(source="BAD"), shard=0).outcome == "legit"
    account_list_add(list_name="block", account="BAD", added_by=admin_user)
    clock.now = 1.0
    detection.refresh()  # not yet: checks every 2 s
    assert detection.classify(tx(source="BAD", t=1), shard=0).outcome == "legit"
    clock.now = 2.5
    detection.refresh()
    verdict = detection.classify(tx(source="BAD", t=2), shard=0)
    assert verdict.outcome == "fraud"
    assert verdict.reasons[0].rule == "block_list"


def test_a_broken_stored_rule_keeps_the_last_good_rule_set(caplog):
    """A version that cannot be built (written around the services, say by
    hand in the database) is logged, and the detector goes on with the
    rules it had."""
    clock = FakeClock()
    detection = live_detection(clock)
    before = detection.engine.ruleset
    velocity = Rule.objects.get(name="velocity")
    RuleVersion.objects.filter(rule=velocity).update(status="retired")
    RuleVersion.objects.create(
        rule=velocity,
        number=2,
        status="live",
        weight=10,
        params={"max_count": 3, "window_seconds": -1},
    )
    clock.now = 3.0
    with caplog.at_level(logging.ERROR):
        detection.refresh()
    assert detection.engine.ruleset is before
    assert "keeping the last good" in caplog.text
    assert "window must be" in caplog.text
