"""The running detector's view of the rules: reloaded on change, and a rule
set that cannot be built never replaces the last good one."""

import logging
from datetime import timedelta

import pytest
from django.db import OperationalError

from tests.detection.context import tx
from tests.detection.history import DAY, habitual_stream
from tests.factories import NOW, engine_transaction
from tests.ingest.test_selectors import store
from transactions_app.detection import Engine
from transactions_app.models import ModelDrift, ModelVersion, Rule, RuleVersion
from transactions_app.rules import runtime
from transactions_app.rules.runtime import DRIFT_SECONDS, LOOKUP_PAUSE, LiveDetection
from transactions_app.rules.selectors import ruleset_live
from transactions_app.rules.services import account_list_add
from transactions_app.scoring.services import (
    model_version_approve,
    model_version_record,
    model_version_roll_back,
    model_version_shadow,
)

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
    assert judge(detection, tx(source="BAD")).outcome == "legit"
    account_list_add(list_name="block", account="BAD", added_by=admin_user)
    clock.now = 1.0
    detection.refresh()  # not yet: checks every 2 s
    assert judge(detection, tx(source="BAD", t=1)).outcome == "legit"
    clock.now = 2.5
    detection.refresh()
    verdict = judge(detection, tx(source="BAD", t=2))
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


RESTART = NOW - timedelta(hours=12)


def restarted_detection(baseline_days: float, clock=None) -> LiveDetection:
    return LiveDetection(
        topic="queuing.transactions",
        reload_interval=2.0,
        restore_seconds=DAY,
        baseline_seconds=baseline_days * DAY,
        clock=clock or FakeClock(),
        now=lambda: RESTART,
    )


@pytest.mark.parametrize("baseline_days", [90, 0])
def test_a_restart_restores_the_baselines_from_the_database(baseline_days):
    """Twenty days of habitual payments stored; a detector assigned the
    partition half-way through the last day judges the rest, in batches,
    as one that never stopped would, when it reads the accounts' older
    history back (payers' medians, receivers' age and counts): those of
    the replayed day at once, the others (idle that day) with their first
    batch. Without (0 days) it does not: shops look new, medians are lost."""
    stream = habitual_stream()
    store([tx for tx in stream if tx.timestamp < RESTART])
    uninterrupted = Engine(ruleset_live(), clock=lambda: NOW)
    expected = [uninterrupted.classify(tx) for tx in stream][-len(after(stream)) :]
    detection = restarted_detection(baseline_days)
    detection.partitions_assigned([0])
    assert (verdicts_in_batches(detection, after(stream)) == expected) is (
        baseline_days > 0
    )


def test_new_accounts_are_looked_up_once(django_assert_num_queries):
    """A payer and a receiver never seen cost one query each; one with
    stored history, four and one; neither costs anything once it has
    state."""
    stream = habitual_stream()
    ten_days_ago = NOW - timedelta(days=10)
    idle = engine_transaction(
        source="idleCard", target="idleShop", timestamp=ten_days_ago
    )
    store([*(t for t in stream if t.timestamp < RESTART), idle])
    detection = restarted_detection(90)
    detection.partitions_assigned([0])
    brand_new = tx(source="neverSeen", target="neverPaid", t=1)
    with django_assert_num_queries(2):
        detection.prepare([(brand_new, 0)])
    returning = tx(source="idleCard", target="idleShop", t=2)
    with django_assert_num_queries(5):
        detection.prepare([(returning, 0)])
    assert detection.engine.state.source("idleCard").count == 1
    assert (
        detection.engine.state.target("idleShop").first_seen == ten_days_ago.timestamp()
    )
    verdicts_in_batches(detection, [brand_new, returning])
    with django_assert_num_queries(0):
        detection.prepare([(brand_new, 0), (returning, 0)])


def test_new_accounts_of_partitions_assigned_together_are_looked_up_at_once(
    django_assert_num_queries,
):
    """Partitions whose replay started at the same time share one read of
    the batch's new accounts (not a read per partition), and each account
    is kept with the partition its payment came from."""
    store([tx for tx in habitual_stream() if tx.timestamp < RESTART])
    detection = restarted_detection(90)
    detection.partitions_assigned([0, 1, 2])
    batch = [(tx(source=f"new{n}", target=f"shop{n}", t=1), n) for n in range(3)]
    with django_assert_num_queries(2):
        detection.prepare(batch)
    detection.judge_batch(batch).verdicts()
    state = detection.engine.state
    assert [state.source(f"new{n}").shard for n in range(3)] == [0, 1, 2]


def test_while_the_database_fails_new_accounts_are_judged_without_history(
    monkeypatch, caplog
):
    """The detector goes on classifying; it tries again after a pause."""
    clock = FakeClock()
    detection = restarted_detection(90, clock)
    detection.partitions_assigned([0])
    calls = []

    def database_away(**query):
        calls.append(query)
        raise OperationalError("connection refused")

    monkeypatch.setattr(
        "transactions_app.rules.runtime.account_histories", database_away
    )
    with caplog.at_level(logging.WARNING):
        detection.prepare([(tx(source="new1"), 0)])
    assert "judging without them for 30 s" in caplog.text
    detection.prepare([(tx(source="new2"), 0)])
    assert len(calls) == 1  # paused
    clock.now = LOOKUP_PAUSE + 0.1
    detection.prepare([(tx(source="new3"), 0)])
    assert len(calls) == 2
    assert judge(detection, tx(source="new3")).outcome == "legit"


def judge(detection: LiveDetection, transaction):
    """The verdict of a batch of one, read from partition 0."""
    [verdict] = detection.judge_batch([(transaction, 0)]).verdicts()
    return verdict


def verdicts_in_batches(detection: LiveDetection, transactions, size: int = 10):
    """What the detector loop does: ``prepare`` each batch, then judge it."""
    verdicts = []
    for start in range(0, len(transactions), size):
        batch = transactions[start : start + size]
        pairs = [(transaction, 0) for transaction in batch]
        detection.prepare(pairs)
        verdicts += detection.judge_batch(pairs).verdicts()
    return verdicts


def after(stream) -> list:
    return [tx for tx in stream if tx.timestamp >= RESTART]


def put_in_force(model, **bands):
    """``model`` recorded and approved (four-eyes off), with ``bands``."""
    version = model_version_record(model=model, source="test")
    ModelVersion.objects.filter(pk=version.pk).update(**bands)
    version.refresh_from_db()
    return model_version_approve(version=version, approver=None)


def test_a_model_put_in_force_is_served_from_the_next_check(settings, model):
    """Approved while the detector runs, a model enters the verdicts after
    the next check (a threshold this low makes it fire on anything); a
    roll-back takes it out the same way."""
    settings.RULES_FOUR_EYES = False
    clock = FakeClock()
    detection = live_detection(clock)
    assert judge(detection, tx(t=0)).reasons == ()
    version = put_in_force(model, review_at=1e-9, fraud_at=1.0)
    clock.now = 2.5
    detection.refresh()
    verdict = judge(detection, tx(t=1))
    assert [reason.rule for reason in verdict.reasons] == ["learned_score"]
    assert verdict.rule_versions["learned_score"] == version.number
    assert verdict.reasons[0].observed.startswith("probability of fraud ")
    model_version_roll_back(approver=None)
    clock.now = 5.0
    detection.refresh()
    assert judge(detection, tx(t=2)).reasons == ()


def test_a_model_that_cannot_be_loaded_keeps_the_last_good(settings, model, caplog):
    settings.RULES_FOUR_EYES = False
    clock = FakeClock()
    put_in_force(model, review_at=1e-9, fraud_at=1.0)
    detection = live_detection(clock)
    broken = put_in_force(model)
    ModelVersion.objects.filter(pk=broken.pk).update(artefact=b"not a model")
    clock.now = 2.5
    with caplog.at_level(logging.ERROR):
        detection.refresh()
    assert "cannot load the model put in force, keeping the last good" in caplog.text
    assert judge(detection, tx(t=1)).reasons[0].rule == "learned_score"


def test_a_detector_starts_with_the_model_in_force_even_if_it_is_broken(
    settings, model, caplog
):
    """The rules go on judging: a model that cannot be read is logged,
    and detection starts without it rather than not at all."""
    settings.RULES_FOUR_EYES = False
    broken = put_in_force(model)
    ModelVersion.objects.filter(pk=broken.pk).update(artefact=b"not a model")
    with caplog.at_level(logging.ERROR):
        detection = live_detection(FakeClock())
    assert "cannot load the model put in force" in caplog.text
    assert detection.engine.learned is None


def test_a_candidate_in_shadow_is_scored_beside_the_model_in_force(settings, model):
    settings.RULES_FOUR_EYES = False
    clock = FakeClock()
    live = put_in_force(model)
    detection = live_detection(clock)
    candidate = model_version_record(model=model, source="test")
    model_version_shadow(version=candidate, requested_by=None)
    clock.now = 2.5
    detection.refresh()
    verdict = judge(detection, tx(t=1))
    assert verdict.rule_versions["learned_score"] == live.number
    assert verdict.shadow_version == candidate.number
    assert verdict.shadow_probability == pytest.approx(verdict.probability)


def test_the_drift_counts_of_the_model_in_force_are_written_each_minute(
    settings, model, monkeypatch
):
    """What the model scored is written down once a minute; when the
    database refuses, the counts wait for the next time."""
    settings.RULES_FOUR_EYES = False
    clock = FakeClock()
    version = put_in_force(model)
    detection = live_detection(clock)
    detection.judge_batch([(tx(t=i), 0) for i in range(5)]).verdicts()
    clock.now = DRIFT_SECONDS + 1
    real_record = runtime.model_drift_record

    def database_away(**fields):
        raise OperationalError("connection refused")

    monkeypatch.setattr(runtime, "model_drift_record", database_away)
    # (the test's transaction holds the connection: not reconnected here)
    monkeypatch.setattr(runtime, "close_old_connections", lambda: None)
    detection.refresh()
    assert not ModelDrift.objects.exists()
    detection.judge_batch([(tx(t=9), 0)]).verdicts()
    monkeypatch.setattr(runtime, "model_drift_record", real_record)
    clock.now = 2 * DRIFT_SECONDS + 2
    detection.refresh()
    [drift] = ModelDrift.objects.all()
    assert (drift.version, drift.rows, sum(drift.counts["score"])) == (version, 6, 6)


def test_a_model_replaced_leaves_its_drift_counts_written(settings, model):
    settings.RULES_FOUR_EYES = False
    clock = FakeClock()
    first = put_in_force(model)
    detection = live_detection(clock)
    detection.judge_batch([(tx(t=i), 0) for i in range(3)]).verdicts()
    put_in_force(model)  # before the minute is up
    clock.now = 2.5
    detection.refresh()
    [drift] = ModelDrift.objects.all()
    assert (drift.version, drift.rows) == (first, 3)


def test_a_model_already_served_is_kept_when_other_versions_change(settings, model):
    """A new version waiting for approval changes the versions' fingerprint,
    not the model in force: the detector keeps the one it serves (its trees
    compiled, its drift counts) instead of loading it again; a candidate
    approved from shadow goes in force as it was served, what it counted in
    shadow left out of the live drift."""
    settings.RULES_FOUR_EYES = False
    clock = FakeClock()
    put_in_force(model)
    detection = live_detection(clock)
    served = detection.engine.learned
    candidate = model_version_record(model=model, source="test")
    clock.now = 2.5
    detection.refresh()
    assert detection.engine.learned is served
    model_version_shadow(version=candidate, requested_by=None)
    clock.now = 5.0
    detection.refresh()
    in_shadow = detection.engine.shadow
    assert detection.engine.learned is served and in_shadow.version == candidate.number
    detection.judge_batch([(tx(t=i), 0) for i in range(4)]).verdicts()
    model_version_approve(version=candidate, approver=None)
    clock.now = 7.5
    detection.refresh()
    assert detection.engine.learned is in_shadow and detection.engine.shadow is None
    assert in_shadow.model.drift.take() is None  # shadow counts not live drift
