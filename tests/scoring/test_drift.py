"""Drift against the training window: bins of tenths and the unknown,
counted the same way live, and a population stability index that is 0 for
the same traffic and large for a shifted one."""

import numpy as np
import pytest

from transactions_app.scoring.artefact import Scorer
from transactions_app.scoring.drift import (
    DriftCounter,
    bin_counts,
    distribution,
    psi,
    reference,
)


def test_tenths_and_the_unknown_are_binned():
    values = np.array([*range(100), np.nan, np.nan], dtype=float)
    reference_of = distribution(values)
    assert len(reference_of["edges"]) == 9
    assert reference_of["shares"][0] == pytest.approx(2 / 102)
    assert sum(reference_of["shares"]) == pytest.approx(1.0)
    counted = bin_counts(np.array([-5.0, 1000.0, np.nan]), reference_of["edges"])
    assert counted.tolist() == [1, 1] + [0] * 8 + [1]  # unknown, lowest, highest


def test_the_same_traffic_has_no_drift_and_a_shifted_one_has():
    rng = np.random.default_rng(1)
    trained = rng.normal(size=20_000)
    shares = distribution(trained)["shares"]
    edges = distribution(trained)["edges"]
    same = psi(shares, bin_counts(rng.normal(size=20_000), edges).tolist())
    shifted = psi(shares, bin_counts(rng.normal(1.0, size=20_000), edges).tolist())
    assert same < 0.01
    assert shifted > 0.25
    assert psi(shares, [0] * len(shares)) is None


def test_a_counter_counts_batches_until_taken():
    rng = np.random.default_rng(2)
    features = rng.normal(size=(1000, 2))
    counter = DriftCounter(
        reference(features, rng.random(1000), ("a", "b")), ("a", "b")
    )
    assert counter.take() is None
    counter.add(features[:600], rng.random(600))
    counter.add(features[600:], rng.random(400))
    taken = counter.take()
    assert taken["rows"] == 1000 and sum(taken["score"]) == 1000
    assert sum(taken["features"]["b"]) == 1000
    assert counter.take() is None


def test_small_batches_binned_together_count_as_one():
    """Rows wait to be binned ``PENDING_ROWS`` at a time (binning costs the
    same for any number of rows), and what waits is counted when taken
    and put back when it could not be kept."""
    rng = np.random.default_rng(3)
    features, scores = rng.normal(size=(5000, 2)), rng.random(5000)
    window = reference(features, scores, ("a", "b"))
    batched, whole = DriftCounter(window, ("a", "b")), DriftCounter(window, ("a", "b"))
    for start in range(0, 5000, 7):
        batched.add(features[start : start + 7], scores[start : start + 7])
    whole.add(features, scores)
    taken = batched.take()
    assert taken == whole.take()
    batched.put_back(taken)
    assert batched.take() == taken


def test_a_trained_model_keeps_its_reference_and_serving_counts_into_it(model, rows):
    window = model.training["reference"]
    assert set(window["features"]) == set(model.features)
    scorer = Scorer(model, compiled=False)
    in_window = rows.features[rows.times < model.training["until"]]
    sample = in_window[:: len(in_window) // 1000][:1000]  # spread over it
    scorer.probabilities(sample)
    counts = scorer.drift.take()
    assert counts["rows"] == 1000
    # the training window's own rows: little drift from its reference
    assert psi(window["score"]["shares"], counts["score"]) < 0.1
