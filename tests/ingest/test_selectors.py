"""Reading back what a restarted detector needs: the recent transactions of
a partition, and its accounts' older history, as the stream gave them."""

from datetime import timedelta

import pytest

from tests.detection.history import expected_histories, habitual_stream
from tests.factories import NOW
from transactions_app.detection import Outcome, Verdict
from transactions_app.ingest.selectors import (
    HISTORY_CHUNK,
    account_histories,
    population_histories,
)
from transactions_app.ingest.services import transactions_store_batch
from transactions_app.streaming.records import ClassifiedTransaction, MessageOrigin

pytestmark = pytest.mark.django_db
TOPIC = "queuing.transactions"


def store(stream, *, topic=TOPIC, partition=0) -> None:
    """Store ``stream`` as the detector would have, read from one partition."""
    transactions_store_batch(
        classified=[
            ClassifiedTransaction(
                transaction=tx,
                verdict=Verdict(Outcome.LEGIT, 0),
                origin=MessageOrigin(topic, partition, offset, tx.timestamp),
                received_at=tx.timestamp,
            )
            for offset, tx in enumerate(stream)
        ]
    )


def test_account_histories_are_what_the_stream_says(monkeypatch):
    """Payers' amounts, hours, ages, counts and receivers, and receivers'
    ages and counts, read in chunks of accounts, match the reference
    computed from the transactions themselves."""
    monkeypatch.setattr("transactions_app.ingest.selectors.HISTORY_CHUNK", 7)
    assert HISTORY_CHUNK > 7
    stream = habitual_stream()
    store(stream)
    after, before = NOW - timedelta(days=15), NOW - timedelta(days=2)
    payers, receivers, populations = expected_histories(
        stream, after=after, before=before
    )
    read = account_histories(
        topic=TOPIC,
        sources={tx.source for tx in stream},
        targets={tx.target for tx in stream},
        after=after,
        before=before,
    )
    assert read == (payers, receivers)
    currencies = {"EUR", "USD"}  # no USD payment: no USD population
    assert (
        population_histories(
            topic=TOPIC, currencies=currencies, after=after, before=before
        )
        == populations
    )


def test_only_the_detectors_own_topic_counts():
    """A replay through other topics (an evaluation, say) does not become
    the history of the live topic's accounts."""
    stream = habitual_stream(days=3, payers=4)
    store(stream, topic="evaluation.transactions")
    read = account_histories(
        topic=TOPIC,
        sources={tx.source for tx in stream},
        targets={tx.target for tx in stream},
        after=NOW - timedelta(days=10),
        before=NOW,
    )
    assert read == ({}, {})
    assert (
        population_histories(
            topic=TOPIC, currencies={"EUR"}, after=NOW - timedelta(days=10), before=NOW
        )
        == {}
    )
