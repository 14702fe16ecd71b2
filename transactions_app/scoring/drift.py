"""Drift of a model's inputs and output against its training window, as the
population stability index (PSI).

At training, each feature and the calibrated probability get bins (tenths
of the training window's values, plus one bin for a value that is not
known) and the share of the window in each: the reference, kept in the
artefact. Serving counts the rows of live traffic into the same bins; the
PSI of counts against the reference is
``sum((actual - expected) * ln(actual / expected))`` over the bins: 0 when
live traffic looks like the training window, above 0.1 a shift worth
looking at, above 0.25 one that usually costs the model its quality.
"""

import math
import threading

import numpy as np

QUANTILES = np.linspace(0.1, 0.9, 9)
# A bin empty on one side still counts, as if it held this share.
FLOOR = 1e-4


def bin_edges(values: np.ndarray) -> list[float]:
    """The inner edges of tenths of the known (finite) ``values``."""
    known = values[np.isfinite(values)]
    if not len(known):
        return []
    return sorted({float(edge) for edge in np.quantile(known, QUANTILES)})


def bin_counts(values: np.ndarray, edges: list[float]) -> np.ndarray:
    """How many of ``values`` fall in each bin: first the unknown (NaN),
    then each interval between ``edges``, lowest first."""
    values = np.asarray(values, dtype=np.float64)
    known = np.isfinite(values)
    counts = np.zeros(len(edges) + 2, dtype=np.int64)
    counts[0] = int((~known).sum())
    inner = np.searchsorted(np.asarray(edges), values[known], side="right")
    counts[1:] += np.bincount(inner, minlength=len(edges) + 1)
    return counts


def distribution(values: np.ndarray) -> dict:
    """The reference of ``values``: their bins and the share in each."""
    edges = bin_edges(values)
    counts = bin_counts(values, edges)
    total = max(int(counts.sum()), 1)
    return {"edges": edges, "shares": [int(c) / total for c in counts]}


def reference(features: np.ndarray, probabilities: np.ndarray, names) -> dict:
    """The reference of a training window: the probability's and each
    feature's (``features`` one column per name)."""
    return {
        "score": distribution(probabilities),
        "features": {
            name: distribution(features[:, column]) for column, name in enumerate(names)
        },
    }


def psi(shares: list[float], counts) -> float | None:
    """The population stability index of ``counts`` against the reference
    ``shares``; None without counts."""
    total = sum(counts)
    if not total:
        return None
    index = 0.0
    for expected, count in zip(shares, counts, strict=True):
        expected, actual = max(expected, FLOOR), max(count / total, FLOOR)
        index += (actual - expected) * math.log(actual / expected)
    return index


class DriftCounter:
    """Live rows counted into a reference's bins, until taken. Safe across
    threads: the detector's writer thread counts what the model scores
    while its consumer's thread takes the counts.

    Rows are binned ``PENDING_ROWS`` at a time (or when taken): binning is a
    few NumPy calls per feature, whatever the number of rows, so a small
    batch binned alone would cost microseconds a row."""

    PENDING_ROWS = 4096

    def __init__(self, reference: dict, names) -> None:
        self._lock = threading.Lock()
        self.reference = reference
        self._names = tuple(names)
        self._score_edges = reference["score"]["edges"]
        self._feature_edges = [reference["features"][name]["edges"] for name in names]
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._pending_rows = 0
        self._reset()

    def _reset(self) -> None:
        self.rows = 0
        self.score = np.zeros(len(self._score_edges) + 2, dtype=np.int64)
        self.features = [
            np.zeros(len(e) + 2, dtype=np.int64) for e in self._feature_edges
        ]

    def add(self, matrix: np.ndarray, probabilities: np.ndarray) -> None:
        """Count a scored batch: its rows of features and probabilities."""
        with self._lock:
            self._pending.append((matrix, probabilities))
            self._pending_rows += len(probabilities)
            if self._pending_rows >= self.PENDING_ROWS:
                self._bin_pending()

    def _bin_pending(self) -> None:
        """Bin the rows waiting (the lock held)."""
        if not self._pending:
            return
        matrix = np.concatenate([m for m, _ in self._pending])
        probabilities = np.concatenate([p for _, p in self._pending])
        self._pending, self._pending_rows = [], 0
        self.rows += len(probabilities)
        self.score += bin_counts(probabilities, self._score_edges)
        for column, edges in enumerate(self._feature_edges):
            self.features[column] += bin_counts(matrix[:, column], edges)

    def put_back(self, counts: dict) -> None:
        """Count again what ``take`` gave (it could not be kept)."""
        with self._lock:
            self.rows += counts["rows"]
            self.score += np.asarray(counts["score"])
            for column, name in enumerate(self._names):
                self.features[column] += np.asarray(counts["features"][name])

    def take(self) -> dict | None:
        """The counts since the last ``take`` (None when nothing was
        scored), as plain lists, and start again."""
        with self._lock:
            self._bin_pending()
            if not self.rows:
                return None
            counts = {
                "rows": self.rows,
                "score": self.score.tolist(),
                "features": {
                    name: counts.tolist()
                    for name, counts in zip(self._names, self.features, strict=True)
                },
            }
            self._reset()
        return counts
