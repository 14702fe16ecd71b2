"""A trained model as one value: the trees, the features they read in
order, the calibration of their output into a probability, and what the
training measured. It round-trips through bytes (JSON), which is what is
stored and what a detector loads."""

import json
import math
from dataclasses import asdict, dataclass, field

import lightgbm
import numpy as np

from ..detection.features import FeatureRows, FeatureSet
from .compiled import CompiledTrees
from .drift import DriftCounter

FORMAT = 1
# Threads LightGBM explains a batch with. One: a batch's firing rows are a
# handful, and OpenMP threads that wait for each other on a machine whose
# cores the detector shares with the broker and the database cost more
# than they save.
EXPLAIN_THREADS = 1


@dataclass(frozen=True)
class Calibration:
    """Platt scaling: the probability of fraud is
    ``1 / (1 + exp(-(slope * margin + intercept)))`` for the trees' raw
    margin, fitted on rows the trees were not grown on."""

    slope: float = 1.0
    intercept: float = 0.0

    def probability(self, margin: np.ndarray) -> np.ndarray:
        return sigmoid(self.slope * margin + self.intercept)


def sigmoid(value: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-value))`` without overflow for large margins."""
    return 1.0 / (1.0 + np.exp(-np.clip(value, -500.0, 500.0)))


@dataclass(frozen=True)
class TrainedModel:
    """``trees`` is LightGBM's text form of the booster; ``features`` the
    names of its columns (``detection.features``); ``metrics`` what the
    validation measured; ``training`` the window and counts it learned
    from."""

    trees: str
    features: tuple[str, ...]
    calibration: Calibration = field(default_factory=Calibration)
    metrics: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)

    def booster(self) -> lightgbm.Booster:
        """The trees loaded; ``ValueError`` when they cannot be."""
        try:
            return lightgbm.Booster(model_str=self.trees)
        except lightgbm.basic.LightGBMError as error:
            raise ValueError(f"the model's trees cannot be loaded: {error}") from None

    def to_bytes(self) -> bytes:
        document = asdict(self) | {"format": FORMAT}
        return json.dumps(document, allow_nan=False).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> "TrainedModel":
        """Raises ``ValueError`` naming what is wrong with ``data``."""
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"not a trained model: {error}") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError(f"not a trained model of format {FORMAT}")
        return cls(
            trees=document["trees"],
            features=tuple(document["features"]),
            calibration=Calibration(**document["calibration"]),
            metrics=document.get("metrics", {}),
            training=document.get("training", {}),
        )


class Scorer:
    """A loaded model, ready to score rows of its features: one vectorised
    prediction per call (a batch of transactions at a time). It is what the
    engine's ``LearnedScore`` is handed (``detection.learned.ScoreModel``).

    With ``compiled`` the trees are also compiled to machine code in the
    background (``compiled.CompiledTrees``), which predicts from then on;
    the explanations stay LightGBM's."""

    def __init__(self, model: TrainedModel, *, compiled: bool = True) -> None:
        self.model = model
        self.features = FeatureSet(model.features)
        self._booster = model.booster()
        self.compiled = (
            CompiledTrees(model.trees, fallback=self._booster_margins)
            if compiled
            else None
        )
        reference = model.training.get("reference")
        # What live traffic looks like against the training window, counted
        # as it is scored (``drift``); None for a model without a reference.
        self.drift = (
            None if reference is None else DriftCounter(reference, model.features)
        )

    def probabilities(self, rows) -> np.ndarray:
        """The calibrated probability of fraud of each row (counted for the
        drift monitor)."""
        if not len(rows):
            return np.zeros(0)
        matrix = _matrix(rows)
        margin = (
            self.compiled.margins(matrix)
            if self.compiled is not None
            else self._booster_margins(matrix)
        )
        probabilities = self.model.calibration.probability(margin)
        if self.drift is not None:
            self.drift.add(matrix, probabilities)
        return probabilities

    def _booster_margins(self, matrix: np.ndarray) -> np.ndarray:
        return self._booster.predict(matrix, raw_score=True)

    def contributions(self, rows) -> list[list[tuple[str, float]]]:
        """Each feature's share of each row's margin (SHAP values, as
        LightGBM computes them for trees), scaled by the calibration's
        slope so they add up to the calibrated log-odds; one call for all
        the rows."""
        if not len(rows):
            return []
        values = self._booster.predict(
            _matrix(rows), pred_contrib=True, num_threads=EXPLAIN_THREADS
        )
        slope = self.model.calibration.slope
        return [
            [
                (name, float(value) * slope)
                for name, value in zip(self.model.features, row[:-1], strict=True)
            ]
            for row in values
        ]


def _matrix(rows) -> np.ndarray:
    """``rows`` as a 2-D array: a ``FeatureRows`` read in place (its
    columns picked), anything else converted."""
    if isinstance(rows, FeatureRows):
        flat = np.frombuffer(rows.data, dtype=np.float64).reshape(-1, rows.width)
        if rows.columns is None:
            return flat
        return flat[:, rows.columns]
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)


def clean_metrics(metrics: dict) -> dict:
    """``metrics`` with every NaN as None (JSON has no NaN)."""
    return {
        key: None if isinstance(value, float) and math.isnan(value) else value
        for key, value in metrics.items()
    }
