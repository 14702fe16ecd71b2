"""runproducer against the real broker: the original format, keyed by
source account, reproducible with --seed."""

import json
import re

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.integration


def produced(kafka, kafka_topics, **options):
    call_command("runproducer", **options)
    return kafka.read(kafka_topics.transactions, expected=options["count"])


def test_writes_count_transactions_in_the_original_format(kafka_topics, kafka):
    messages = produced(kafka, kafka_topics, count=20, rate="max", seed=3)
    assert len(messages) == 20
    for message in messages:
        document = json.loads(message.value())
        assert set(document) == {
            "transaction_id",
            "timestamp",
            "source",
            "target",
            "amount",
            "currency",
        }
        assert re.fullmatch(r"[0-9A-Za-z]{12}", document["source"])
        assert document["currency"] == "EUR"
        assert 1.0 <= document["amount"] <= 10000.0
        assert round(document["amount"], 2) == document["amount"]
        assert document["timestamp"].endswith("Z")
        assert message.key() == document["source"].encode()


def test_the_same_seed_gives_the_same_transactions(kafka_topics, kafka):
    call_command("runproducer", count=5, rate="max", seed=11)
    call_command("runproducer", count=5, rate="max", seed=11)
    messages = kafka.read(kafka_topics.transactions, expected=10)
    documents = [json.loads(m.value()) for m in messages]
    for document in documents:
        del document["timestamp"]
    first, second = (
        sorted(documents, key=lambda d: d["transaction_id"])[0::2],
        sorted(documents, key=lambda d: d["transaction_id"])[1::2],
    )
    assert first == second


@pytest.mark.parametrize("rate", ["fast", "0", "-1", "inf"])
def test_a_bad_rate_is_a_clear_error(rate):
    with pytest.raises(CommandError, match="--rate"):
        call_command("runproducer", count=1, rate=rate)
