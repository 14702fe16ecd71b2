"""A labelled stream of our own generator, and a model trained on it once
for the whole suite's tests (``tests/conftest.py`` makes them fixtures)."""

from datetime import UTC, datetime

import pytest

from transactions_app.scoring.labelled import LabelledTransaction
from transactions_app.scoring.training import train, training_rows
from transactions_app.simulation.realistic import RealisticProfile, rate_for_accounts


def labelled_stream(count: int, fraud_share: float = 0.05, seed: int = 11):
    """``count`` labelled transactions of 500 people paying twice a day."""
    profile = RealisticProfile(
        seed=seed,
        start=datetime(2026, 3, 2, tzinfo=UTC),
        rate=rate_for_accounts(500),
        accounts=500,
        fraud_share=fraud_share,
    )
    for _ in range(count):
        item = profile()
        yield LabelledTransaction(item.transaction, item.label != "legit")


@pytest.fixture(scope="session")
def rows():
    """Training rows of 12,000 labelled transactions."""
    return training_rows(labelled_stream(12_000))


@pytest.fixture(scope="session")
def model(rows):
    """A ``TrainedModel`` trained and validated on ``rows``."""
    return train(rows)
