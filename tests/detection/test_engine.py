"""The engine adds up rule scores, maps them to outcome bands, lets a rule
force an outcome, and records the rule versions in force."""

import pytest

from tests.detection.context import engine, tx
from tests.factories import NOW
from transactions_app.detection import (
    AccountListRule,
    AmountSpreeRule,
    AmountThresholdRule,
    FanInRule,
    Outcome,
    OutcomeBands,
    StateLimits,
    VelocityRule,
    WindowState,
    default_engine,
)


def test_default_engine_keeps_the_original_behaviour():
    """With the default rules, >= 900 EUR is fraud and below is legit."""
    default = default_engine(clock=lambda: NOW)
    flagged = default.classify(tx("900.00"))
    assert flagged.outcome is Outcome.FRAUD
    assert flagged.is_flagged
    assert flagged.score == 100
    assert [r.rule for r in flagged.reasons] == ["amount_threshold"]
    assert flagged.rule_versions == {"amount_threshold": 1}
    legit = default.classify(tx("899.99"))
    assert (legit.outcome, legit.score, legit.reasons) == (Outcome.LEGIT, 0, ())


def test_scores_add_up_across_rules():
    """Two rules of weight 30 give 60, which the bands place in review."""
    small = AmountThresholdRule(name="small", threshold="10", weight=30, version=4)
    medium = AmountThresholdRule(name="medium", threshold="20", weight=30)
    verdict = engine(small, medium).classify(tx("25"))
    assert verdict.score == 60
    assert verdict.outcome is Outcome.REVIEW
    assert [r.rule for r in verdict.reasons] == ["small", "medium"]
    assert verdict.rule_versions == {"small": 4, "medium": 1}


def test_a_rule_can_force_an_outcome_whatever_the_score():
    """A block-list hit with weight 0 and force=fraud makes fraud."""
    block = AccountListRule(name="block", list_name="block", force=Outcome.FRAUD)
    verdict = engine(block, lists={"block": frozenset({"S1"})}).classify(tx())
    assert verdict.outcome is Outcome.FRAUD
    assert verdict.score == 0
    assert verdict.reasons[0].force is Outcome.FRAUD


def test_a_forced_outcome_never_lowers_the_banded_one():
    """force=review on a transaction whose score already says fraud stays
    fraud."""
    big = AmountThresholdRule(name="big", threshold="10", weight=100)
    watch = AccountListRule(name="watch", list_name="watch", force=Outcome.REVIEW)
    verdict = engine(big, watch, lists={"watch": frozenset({"T1"})}).classify(tx("50"))
    assert verdict.outcome is Outcome.FRAUD


@pytest.mark.parametrize(
    ("score", "outcome"),
    [
        (0, Outcome.LEGIT),
        (49, Outcome.LEGIT),
        (50, Outcome.REVIEW),
        (99, Outcome.REVIEW),
        (100, Outcome.FRAUD),
        (250, Outcome.FRAUD),
    ],
)
def test_bands_map_scores_to_outcomes(score, outcome):
    """Scores at a band's threshold belong to that band."""
    assert OutcomeBands(review=50, fraud=100).outcome_for(score) is outcome


def test_bands_reject_an_inverted_order():
    with pytest.raises(ValueError):
        OutcomeBands(review=80, fraud=40)


def test_a_redelivered_transaction_is_judged_as_the_first_time():
    """Classifying the same transaction twice gives the same verdict and
    counts it once in the windows."""
    velocity = VelocityRule(name="v", max_count=2, window_seconds=60, weight=50)
    detector = engine(velocity)
    first, second = tx(t=0), tx(t=1)
    detector.classify(first)
    verdict = detector.classify(second)
    again = detector.classify(second)
    assert verdict == again
    assert detector.state.source("S1").count == 2
    assert len(detector.state.source("S1").entries) == 2


def test_replacing_rules_keeps_the_state():
    """A rule change takes effect on the next transaction, and the windows
    already hold what came before it."""
    detector = engine(AmountThresholdRule(name="a", threshold="1000", weight=10))
    for t in range(3):
        detector.classify(tx(t=t))
    detector.replace_rules(
        detector.ruleset.__class__(
            rules=(VelocityRule(name="v", max_count=3, window_seconds=60, weight=60),)
        )
    )
    verdict = detector.classify(tx(t=3))
    assert verdict.outcome is Outcome.REVIEW
    assert verdict.reasons[0].observed == "4 transactions"


def test_restored_history_counts_and_is_not_counted_twice():
    """Transactions restored after a restart fill the windows; restoring
    them again changes nothing."""
    detector = engine(VelocityRule(name="v", max_count=3, window_seconds=60, weight=60))
    history = [tx(t=t) for t in range(3)]
    detector.restore(history, shard=1)
    detector.restore(history, shard=1)
    assert detector.classify(tx(t=4)).reasons[0].observed == "4 transactions"


def test_forgetting_a_shard_drops_its_accounts():
    detector = engine(VelocityRule(name="v", max_count=1, window_seconds=60, weight=60))
    detector.classify(tx(t=0, source="A"), shard=0)
    detector.classify(tx(t=0, source="B", target="T2"), shard=1)
    detector.forget([0])
    assert detector.state.source("A") is None
    assert detector.state.source("B") is not None


def test_each_side_keeps_only_what_its_rules_look_at():
    """A day-long window over payers does not make every shop keep a day of
    its customers: target entries follow the rules over targets only."""
    spree = AmountSpreeRule(name="s", min_count=2, window_seconds=86400, weight=1)
    fan_in = FanInRule(name="f", min_sources=3, window_seconds=1800, weight=1)
    limits = engine(spree, fan_in).state.limits
    assert (limits.retention, limits.target_retention) == (86400, 3600)
    shop = WindowState(StateLimits(retention=86400, target_retention=60))
    for i in range(100):
        shop.record(source=f"S{i}", target="SHOP", time=i * 10.0, amount=5.0, key=i)
    assert len(shop.target("SHOP").entries) <= (60 + 300) / 10 + 1
    assert len(shop.source("S0").entries) == 1
