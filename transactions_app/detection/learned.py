"""A learned score in the verdict: one more scored reason, beside the rules.

The engine stays free of any machine-learning library: it is handed a
``ScoreModel`` (anything that turns rows of features into probabilities,
and explains a row), computes the rows with the same code training used
(``features``), and asks for a whole batch's probabilities at once. What a
probability adds to the score follows bands of its own, so the outcome, the
score and the routing stay as they are for the rules: at ``review_at`` and
above the reason adds ``review_weight`` (the review band by default), at
``fraud_at`` and above ``fraud_weight`` (the fraud band).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .features import FeatureRows, FeatureSet
from .types import Reason

REASON_NAME = "learned_score"
# Feature contributions named in a reason, the largest first.
CONTRIBUTIONS_SHOWN = 3


class ScoreModel(Protocol):
    """A trained model as the engine sees it."""

    features: FeatureSet

    def probabilities(self, rows: Sequence[tuple[float, ...]]) -> Sequence[float]:
        """The probability of fraud of each row, one call for all. ``rows``
        is a sequence of rows (tuples in ``features`` order), in serving a
        ``FeatureRows``, whose flat buffer a model may read directly."""

    def contributions(
        self, rows: Sequence[tuple[float, ...]]
    ) -> list[list[tuple[str, float]]]:
        """For each row, how much each feature moved its score: ``(name,
        contribution)`` pairs (in the model's own units), one call for
        all."""


@dataclass(frozen=True)
class LearnedScore:
    """A model in force: its name and version (for the verdict's record of
    what decided), and the bands that turn its probability into points."""

    model: ScoreModel
    version: int = 1
    review_at: float = 0.5
    fraud_at: float = 0.9
    review_weight: int = 50
    fraud_weight: int = 100

    def __post_init__(self) -> None:
        if not 0 < self.review_at <= self.fraud_at <= 1:
            raise ValueError("A learned score needs 0 < review_at <= fraud_at <= 1.")
        if not 0 < self.review_weight <= self.fraud_weight:
            raise ValueError("A learned score needs 0 < review_weight <= fraud_weight.")

    @property
    def features(self) -> FeatureSet:
        return self.model.features

    def rows(self, values: FeatureRows) -> FeatureRows:
        """A batch's features (``features.all_features``) as rows in the
        model's column order."""
        return self.features.rows(values)

    def probabilities(self, rows: Sequence[tuple[float, ...]]) -> list[float]:
        """The probability of fraud of each row, in one call."""
        return [float(p) for p in self.model.probabilities(rows)] if rows else []

    def reasons(
        self, rows: Sequence[tuple[float, ...]], probabilities: Sequence[float]
    ) -> list[Reason | None]:
        """For each row of ``probabilities``, the reason the score gives
        (None below ``review_at``); explained only where it fires,
        explanations being the costly part."""
        firing = [i for i, p in enumerate(probabilities) if p >= self.review_at]
        reasons: list[Reason | None] = [None] * len(rows)
        if not firing:
            return reasons
        explained = self.model.contributions([rows[i] for i in firing])
        for index, contributions in zip(firing, explained, strict=True):
            reasons[index] = self._reason(
                probabilities[index], rows[index], contributions
            )
        return reasons

    def _reason(self, probability: float, row, contributions) -> Reason:
        fraud = probability >= self.fraud_at
        threshold = self.fraud_at if fraud else self.review_at
        return Reason(
            rule=REASON_NAME,
            version=self.version,
            observed=f"probability of fraud {probability:.2f}"
            + self._explanation(row, contributions),
            threshold=f">= {threshold:.2f}",
            score=self.fraud_weight if fraud else self.review_weight,
            description="The learned score: a model trained on labelled history.",
        )

    def _explanation(self, row, contributions) -> str:
        values = dict(zip(self.features.names, row, strict=True))
        ranked = sorted(
            (pair for pair in contributions if pair[1] > 0),
            key=lambda pair: pair[1],
            reverse=True,
        )[:CONTRIBUTIONS_SHOWN]
        if not ranked:
            return ""
        return "; " + ", ".join(
            f"{describe(name, values[name])}: +{contribution:.2f}"
            for name, contribution in ranked
        )


def describe(name: str, value: float) -> str:
    """A feature and its value in words a reviewer reads."""
    if math.isnan(value):
        return f"{FEATURE_WORDS.get(name, name)} unknown"
    words = FEATURE_WORDS.get(name, name.replace("_", " "))
    if name.startswith("log_") and name.endswith("_median"):
        return f"{words} {math.exp(value):.1f}x"
    if name == "log_amount":
        return f"{words} {math.expm1(value):.2f}"
    if name == "log_receiver_payments":
        return f"{words} {math.expm1(value):.0f}"
    if name in ("log_payer_sum_3d", "log_payer_previous_amount"):
        return f"{words} {math.expm1(value):.2f}"
    if name.startswith("log_seconds_since"):
        return f"{words} {_duration(math.expm1(value))}"
    if name == "hour":
        return f"hour {int(value):02d}:00"
    if name.endswith("_new"):
        return f"{words} {'new' if value else 'known'}"
    if "share" in name:
        return f"{words} {value:.0%}"
    return f"{words} {value:.3g}"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


FEATURE_WORDS = {
    "log_amount": "amount",
    "log_amount_vs_payer_median": "amount against the payer's median",
    "amount_share_below_payer": "share of the payer's payments below it",
    "payer_amounts_known": "payments known of the payer",
    "log_amount_vs_population_median": "amount against the currency's median",
    "amount_share_below_population": "share of the currency's payments below it",
    "weekday": "weekday",
    "payer_share_near_hour": "payer's payments near this hour",
    "payer_payments_1h": "payer's payments in the hour",
    "payer_payments_24h": "payer's payments in 24 h",
    "payer_payments_7d": "payer's payments in 7 days",
    "log_payer_sum_1h_vs_median": "payer's hour total against its median",
    "log_payer_sum_24h_vs_median": "payer's 24 h total against its median",
    "log_payer_sum_7d_vs_median": "payer's 7-day total against its median",
    "log_payer_sum_3d": "payer's 3-day total before it",
    "log_payer_previous_amount": "payer's previous amount",
    "payer_large_7d": "payer's large payments in 7 days",
    "payer_large_24h": "payer's large payments in 24 h",
    "payer_targets_24h": "payer's receivers in 24 h",
    "log_payer_max_24h_vs_median": "payer's largest in 24 h against its median",
    "log_seconds_since_previous": "time since the payer's previous payment",
    "log_seconds_since_second_previous": "time since the payer's payment before last",
    "payer_age_days": "days the payer is known",
    "payer_payments_per_day": "payer's usual payments a day",
    "new_counterparty": "first payment to this receiver",
    "payer_counterparties": "payer's receivers known",
    "receiver_age_days": "days the receiver is known",
    "log_receiver_payments": "receiver's payments",
    "receiver_payments_1h": "receiver's payments in the hour",
    "receiver_payments_24h": "receiver's payments in 24 h",
    "receiver_new_senders_1h": "receiver's new payers in the hour",
    "merchant_category_new": "merchant category",
    "merchant_category_share": "payer's payments in this category",
    "channel_new": "channel",
    "country_new": "country",
}
