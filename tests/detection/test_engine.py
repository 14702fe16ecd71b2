"""The engine adds up rule scores and maps them to outcome bands."""

from decimal import Decimal

import pytest

from tests.factories import NOW, engine_transaction
from transactions_app.detection import (
    AmountThresholdRule,
    Engine,
    Outcome,
    OutcomeBands,
    default_engine,
)


def test_default_engine_keeps_the_original_behaviour():
    """With the default rules, >= 900 EUR is fraud and below is legit."""
    engine = default_engine(clock=lambda: NOW)
    flagged = engine.classify(engine_transaction("900.00"))
    assert flagged.outcome is Outcome.FRAUD
    assert flagged.is_flagged
    assert flagged.score == 100
    assert [r.rule for r in flagged.reasons] == ["amount_threshold"]
    legit = engine.classify(engine_transaction("899.99"))
    assert legit.outcome is Outcome.LEGIT
    assert legit.score == 0
    assert legit.reasons == ()


def test_scores_add_up_across_rules():
    """Two rules of weight 30 give 60, which the bands place in review."""
    rules = [
        AmountThresholdRule(threshold=Decimal("10"), weight=30, name="small"),
        AmountThresholdRule(threshold=Decimal("20"), weight=30, name="medium"),
    ]
    engine = Engine(rules, bands=OutcomeBands(review=50, fraud=100), clock=lambda: NOW)
    verdict = engine.classify(engine_transaction("25"))
    assert verdict.score == 60
    assert verdict.outcome is Outcome.REVIEW
    assert [r.rule for r in verdict.reasons] == ["small", "medium"]


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
    """A review threshold above the fraud threshold is a configuration error."""
    with pytest.raises(ValueError):
        OutcomeBands(review=80, fraud=40)
