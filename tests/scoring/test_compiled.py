"""A model's trees compiled to machine code: the same margins as LightGBM's,
LightGBM serving until the compilation is done, and for good when it
fails."""

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

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


@pytest.mark.fresh_process
def test_a_process_that_ends_while_compiling_exits_cleanly(model, tmp_path):
    """Compiling runs on a thread of its own; a process (a detector asked
    to stop right after loading a model) that ends while LLVM is still at
    work waits for it, instead of crashing in it as Python shuts down (it
    did, now and then, with a daemon thread: SIGSEGV)."""
    compiled = CompiledTrees(model.trees, fallback=lambda m: np.zeros(len(m)))
    compiling = [t for t in threading.enumerate() if t.name == "compile-model"]
    assert compiling and not any(t.daemon for t in compiling)  # waited for
    assert compiled.done.wait(COMPILE_SECONDS)
    artefact = tmp_path / "model.json"
    artefact.write_bytes(model.to_bytes())
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from transactions_app.scoring.artefact import Scorer, TrainedModel\n"
        "scorer = Scorer(TrainedModel.from_bytes(Path(sys.argv[1]).read_bytes()))\n"
        "print('compiling' if not scorer.compiled.done.is_set() else 'compiled')\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", script, str(artefact)],
        capture_output=True,
        text=True,
        timeout=COMPILE_SECONDS,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "compiling"  # it ended mid-compilation
