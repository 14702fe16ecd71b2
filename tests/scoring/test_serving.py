"""A trained LightGBM model served by the engine: its reasons explained by
the trees' own feature contributions, on transactions it never saw."""

import math
from datetime import UTC, datetime

from tests.scoring.stream import labelled_stream
from transactions_app.detection import Engine, RuleSet, original_rule
from transactions_app.detection.learned import LearnedScore
from transactions_app.scoring.artefact import Scorer


def test_the_model_flags_fraud_it_never_saw_with_its_reasons(model):
    engine = Engine(
        RuleSet(rules=(original_rule(),)),
        clock=lambda: datetime.now(UTC),
        learned=LearnedScore(Scorer(model), version=2),
    )
    later = list(labelled_stream(6000, seed=12))
    verdicts = []
    for start in range(0, len(later), 1000):
        batch = [(item.transaction, 0) for item in later[start : start + 1000]]
        verdicts += engine.classify_batch(batch)
    learned = [
        (item.is_fraud, reason)
        for item, verdict in zip(later, verdicts, strict=True)
        for reason in verdict.reasons
        if reason.rule == "learned_score"
    ]
    caught = sum(fraud for fraud, _ in learned)
    assert caught > 0.5 * sum(item.is_fraud for item in later)
    assert caught > 0.7 * len(learned)  # precision of the model's flags
    fraud, reason = next(pair for pair in learned if pair[0])
    assert reason.version == 2 and reason.score in (50, 100)
    assert reason.observed.startswith("probability of fraud 0.")
    assert reason.observed.count(": +") >= 1  # a contribution in words


def test_contributions_add_up_to_the_calibrated_log_odds(model, rows):
    scorer = Scorer(model)
    row = tuple(rows.features[rows.is_fraud][0].tolist())
    [probability] = scorer.probabilities([row])
    total = sum(value for _, value in scorer.contributions([row])[0])
    # The bias term is left out of the pairs: compare the differences
    # between two rows, where it cancels.
    other = tuple(rows.features[~rows.is_fraud][0].tolist())
    [other_probability] = scorer.probabilities([other])
    other_total = sum(value for _, value in scorer.contributions([other])[0])
    change = log_odds(probability) - log_odds(other_probability)
    assert abs((total - other_total) - change) < 1e-6


def log_odds(probability: float) -> float:
    return math.log(probability / (1 - probability))
