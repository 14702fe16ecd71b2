"""The learned score in the engine: one batch scored at once, a reason
with its bands and its explanation, and the rules' verdicts untouched."""

import math

import pytest

from tests.detection.context import tx
from tests.factories import NOW
from transactions_app.detection import Engine, Outcome, RuleSet, original_rule
from transactions_app.detection.features import FeatureSet
from transactions_app.detection.learned import LearnedScore, describe


class AmountModel:
    """A model of one feature: the probability is the amount over 1,000,
    each contribution the log-amount itself; it counts its calls."""

    features = FeatureSet(("log_amount", "hour"))

    def __init__(self) -> None:
        self.calls = 0

    def probabilities(self, rows):
        self.calls += 1
        return [min(math.expm1(row[0]) / 1000, 1.0) for row in rows]

    def contributions(self, rows):
        self.calls += 1
        return [[("log_amount", row[0]), ("hour", -1.0)] for row in rows]


def pairs(transactions, shard=0):
    """A batch as the detector hands it: each transaction with its shard."""
    return [(transaction, shard) for transaction in transactions]


def engine(model, rules=()):
    return Engine(
        RuleSet(rules=tuple(rules)),
        clock=lambda: NOW,
        learned=LearnedScore(model, version=4),
    )


def test_a_batch_is_scored_in_one_call_with_reasons_in_its_bands():
    model = AmountModel()
    verdicts = engine(model).classify_batch(
        pairs([tx("100.00", t=0), tx("600.00", t=1), tx("950.00", t=2)])
    )
    assert model.calls == 2  # the probabilities, then the explanations
    assert [v.outcome for v in verdicts] == [
        Outcome.LEGIT,
        Outcome.REVIEW,
        Outcome.FRAUD,
    ]
    [review] = verdicts[1].reasons
    assert (review.rule, review.version, review.score) == ("learned_score", 4, 50)
    assert review.threshold == ">= 0.50"
    assert review.observed == "probability of fraud 0.60; amount 600.00: +6.40"
    assert verdicts[2].reasons[0].score == 100
    assert verdicts[0].rule_versions == {"learned_score": 4}


def test_the_rules_judge_as_they_do_one_by_one():
    transactions = [tx(f"{a}.00", t=i) for i, a in enumerate((100, 920, 300, 990))]
    with_model = engine(AmountModel(), [original_rule()]).classify_batch(
        pairs(transactions)
    )
    alone = Engine(RuleSet(rules=(original_rule(),)), clock=lambda: NOW)
    for verdict, expected in zip(
        with_model, [alone.classify(t) for t in transactions], strict=True
    ):
        rules_only = [r for r in verdict.reasons if r.rule != "learned_score"]
        assert rules_only == list(expected.reasons)
    assert with_model[1].score == 200  # the tutorial's rule and the model's


def test_without_a_model_a_batch_is_classified_one_by_one():
    plain = Engine(RuleSet(rules=(original_rule(),)), clock=lambda: NOW)
    [verdict] = plain.classify_batch([(tx("950.00"), None)])
    assert verdict.outcome is Outcome.FRAUD


def test_a_model_put_in_force_later_scores_the_next_batch():
    plain = Engine(RuleSet(), clock=lambda: NOW)
    [before] = plain.classify_batch(pairs([tx("950.00", t=0)]))
    plain.replace_learned(LearnedScore(AmountModel(), version=7))
    [after] = plain.classify_batch(pairs([tx("960.00", t=1)]))
    plain.replace_learned(None)
    [off] = plain.classify_batch(pairs([tx("970.00", t=2)]))
    assert before.reasons == () and off.reasons == ()
    assert [reason.rule for reason in after.reasons] == ["learned_score"]
    assert after.rule_versions == {"learned_score": 7}
    # the model's week of payer history is kept from then on
    assert plain.state.limits.retention >= FeatureSet().window


def test_bands_must_be_ordered():
    with pytest.raises(ValueError, match="review_at <= fraud_at"):
        LearnedScore(AmountModel(), review_at=0.9, fraud_at=0.5)
    with pytest.raises(ValueError, match="review_weight <= fraud_weight"):
        LearnedScore(AmountModel(), review_weight=0)


def test_features_are_described_in_words():
    assert describe("log_amount_vs_payer_median", math.log(14)) == (
        "amount against the payer's median 14.0x"
    )
    assert describe("hour", 3.0) == "hour 03:00"
    assert describe("log_seconds_since_previous", math.log1p(30)) == (
        "time since the payer's previous payment 30 s"
    )
    assert describe("merchant_category_new", 1.0) == "merchant category new"
    assert describe("payer_share_near_hour", 0.02) == (
        "payer's payments near this hour 2%"
    )
    assert describe("payer_age_days", float("nan")) == "days the payer is known unknown"


def test_a_shadow_model_scores_every_transaction_and_decides_nothing():
    rules = (original_rule(),)
    shadowed = Engine(
        RuleSet(rules=rules),
        clock=lambda: NOW,
        learned=LearnedScore(AmountModel(), version=4),
        shadow=LearnedScore(AmountModel(), version=5, review_at=0.1, fraud_at=0.2),
    )
    in_force_only = engine(AmountModel(), rules)
    transactions = pairs([tx(f"{a}.00", t=i) for i, a in enumerate((100, 600, 950))])
    verdicts = shadowed.classify_batch(transactions)
    expected = in_force_only.classify_batch(transactions)
    assert [(v.outcome, v.score, v.reasons) for v in verdicts] == [
        (v.outcome, v.score, v.reasons) for v in expected
    ]
    assert [v.shadow_version for v in verdicts] == [5, 5, 5]
    assert [round(v.shadow_probability, 2) for v in verdicts] == [0.1, 0.6, 0.95]
    assert [round(v.probability, 2) for v in verdicts] == [0.1, 0.6, 0.95]
    alone = Engine(RuleSet(rules=rules), clock=lambda: NOW, shadow=shadowed.shadow)
    [verdict] = alone.classify_batch(pairs([tx("950.00")]))
    assert verdict.probability is None and verdict.shadow_version == 5
    assert [r.rule for r in verdict.reasons] == ["amount_threshold"]
