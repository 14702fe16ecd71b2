"""Training on a labelled stream: rows in time order, a model grown on the
past and validated on the future, calibrated, and a clear error when a
window has nothing to learn from."""

from dataclasses import replace

import numpy as np
import pytest

from tests.scoring.stream import labelled_stream
from transactions_app.detection.features import FEATURE_NAMES
from transactions_app.scoring.artefact import Scorer, TrainedModel
from transactions_app.scoring.training import (
    TrainingError,
    fit_calibration,
    train,
    training_rows,
)


def test_rows_are_one_per_transaction_in_arrival_order(rows):
    assert rows.features.shape == (12_000, len(FEATURE_NAMES))
    assert rows.names == FEATURE_NAMES
    assert np.all(np.diff(rows.times) > -3600)  # fraud episodes run ahead
    assert 0.02 < rows.is_fraud.mean() < 0.1


def test_the_model_learns_the_future_from_the_past(model, rows):
    metrics = model.metrics
    assert metrics["rows"] == int((rows.times >= model.training["until"]).sum())
    assert metrics["fraud"] > 50
    assert metrics["average_precision"] > 0.8
    assert metrics["precision"] > 0.7 and metrics["recall"] > 0.5
    assert model.training["rows"] + metrics["rows"] == len(rows)


def test_an_explicit_cut_off_trains_on_what_came_before(rows):
    until = float(np.quantile(rows.times, 0.8))
    model = train(rows, until=until)
    assert model.training["until"] == until
    assert model.metrics["rows"] == int((rows.times >= until).sum())


def test_the_artefact_round_trips_with_the_same_scores(model, rows):
    loaded = TrainedModel.from_bytes(model.to_bytes())
    assert loaded == model
    sample = rows.features[:500]
    assert np.allclose(
        Scorer(loaded, compiled=False).probabilities(sample),
        Scorer(model, compiled=False).probabilities(sample),
    )
    probability = Scorer(model, compiled=False).probabilities(sample)
    assert np.all((probability >= 0) & (probability <= 1))
    assert len(Scorer(model, compiled=False).probabilities(rows.features[:0])) == 0


def test_bytes_that_are_not_a_model_are_refused():
    for data in (b"", b"[]", b'{"format": 99}', b"\xff"):
        with pytest.raises(ValueError, match="not a trained model"):
            TrainedModel.from_bytes(data)


def test_a_history_without_fraud_cannot_train():
    rows = training_rows(labelled_stream(800, fraud_share=0.0))
    with pytest.raises(TrainingError, match="needs both fraud and legit"):
        train(rows)
    with pytest.raises(TrainingError, match="no labelled transactions"):
        train(training_rows([]))


def test_calibration_recovers_the_scale_of_the_margin():
    generator = np.random.default_rng(3)
    margin = generator.normal(0, 2, 40_000)
    truth = generator.random(40_000) < 1 / (1 + np.exp(-(0.5 * margin - 1)))
    calibration = fit_calibration(margin, truth)
    assert calibration.slope == pytest.approx(0.5, abs=0.05)
    assert calibration.intercept == pytest.approx(-1, abs=0.05)


def test_calibration_stays_finite_on_perfectly_separated_rows():
    margin = np.concatenate([np.full(500, -6.0), np.full(12, 7.0)])
    truth = margin > 0
    calibration = fit_calibration(margin, truth)
    assert np.isfinite([calibration.slope, calibration.intercept]).all()
    high, low = calibration.probability(np.array([7.0, -6.0]))
    assert 0.85 < high < 1 and 0 < low < 0.01  # Platt's smoothed targets


def test_a_transaction_without_a_label_is_history_and_no_row():
    """The rows after it see it (the payer's count grew), as the detector
    would; it makes no row of its own."""
    items = list(labelled_stream(400))
    hidden = [replace(i, is_fraud=None) if n % 2 else i for n, i in enumerate(items)]
    all_rows = training_rows(items)
    some_rows = training_rows(hidden)
    assert len(some_rows) == len(items[::2])
    np.testing.assert_array_equal(some_rows.features, all_rows.features[::2])
