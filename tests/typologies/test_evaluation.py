"""The scan on the generator's laundering scenarios, among its ordinary
traffic and fraud: most episodes found, most findings right (the issue's
goal: recall at least 0.8, precision at least 0.5)."""

from datetime import UTC, datetime

import pytest

from transactions_app.typologies.evaluation import evaluate_generated

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("seed", [3, 11])
def test_generated_laundering_is_found_and_findings_are_right(seed):
    quality = evaluate_generated(
        seed=seed,
        start=datetime(2026, 3, 1, tzinfo=UTC),
        days=20,
        accounts=800,
    )
    assert quality.stored == 32000
    assert quality.episodes >= 15  # enough to measure by
    assert quality.recall >= 0.8, quality
    assert quality.precision >= 0.5, quality
