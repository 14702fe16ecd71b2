"""A model's trees compiled to machine code: the same margins as LightGBM's,
LightGBM serving until the compilation is done, and for good when it
fails."""

import numpy as np

from transactions_app.scoring.artefact import Scorer
from transactions_app.scoring.compiled import CompiledTrees

COMPILE_SECONDS = 300  # an upper bound on a loaded machine, not a measure


def test_compiled_trees_give_lightgbm_s_margins(model, rows):
    booster = model.booster()
    compiled = CompiledTrees(
        model.trees, fallback=lambda m: booster.predict(m, raw_score=True)
    )
    assert compiled.done.wait(COMPILE_SECONDS)
    assert compiled.failed is None and compiled.ready.is_set()
    matrix = rows.features[:2000]
    expected = booster.predict(matrix, raw_score=True)
    assert np.allclose(compiled.margins(matrix), expected, rtol=0, atol=1e-9)


def test_a_scorer_gives_the_same_probabilities_compiled_or_not(model, rows):
    sample = rows.features[:1000]
    interpreted = Scorer(model, compiled=False)
    assert interpreted.compiled is None
    scorer = Scorer(model)
    before = scorer.probabilities(sample)  # LightGBM, or compiled already
    assert scorer.compiled.done.wait(COMPILE_SECONDS)
    after = scorer.probabilities(sample)
    assert np.allclose(before, interpreted.probabilities(sample), atol=1e-12)
    assert np.allclose(after, interpreted.probabilities(sample), atol=1e-12)


def test_trees_that_cannot_be_compiled_leave_the_fallback_serving():
    compiled = CompiledTrees("not a model", fallback=lambda m: np.full(len(m), 7.0))
    assert compiled.done.wait(COMPILE_SECONDS)
    assert compiled.failed and not compiled.ready.is_set()
    assert compiled.margins(np.zeros((3, 2))).tolist() == [7.0, 7.0, 7.0]
