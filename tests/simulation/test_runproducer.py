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


def test_seed_profile_writes_the_original_format(kafka_topics, kafka):
    messages = produced(
        kafka, kafka_topics, count=20, rate="max", seed=3, profile="seed"
    )
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
        assert not message.headers()


def test_realistic_profile_labels_each_transaction_in_headers(kafka_topics, kafka):
    """The default profile's accounts recur, and every message carries its
    ground truth in headers (which the detector never reads)."""
    messages = produced(
        kafka, kafka_topics, count=300, rate="max", seed=5, fraud_share=0.2
    )
    documents = [json.loads(m.value()) for m in messages]
    assert len({d["source"] for d in documents}) < len(documents)
    labels = [dict(m.headers())["fraud-label"].decode() for m in messages]
    assert "legit" in labels
    assert set(labels) - {"legit"} <= {
        "large_single",
        "card_testing",
        "velocity_burst",
        "account_takeover",
        "mule_fan_in",
    }
    assert set(labels) != {"legit"}


def test_the_same_seed_gives_the_same_transactions(kafka_topics, kafka):
    call_command("runproducer", count=5, rate="max", seed=11, profile="seed")
    call_command("runproducer", count=5, rate="max", seed=11, profile="seed")
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


def test_time_scale_speeds_up_event_time(kafka_topics, kafka):
    """With --time-scale 10 the same seed spans ten times the event time."""
    from datetime import datetime

    def span(values):
        times = [
            datetime.fromisoformat(json.loads(value)["timestamp"]) for value in values
        ]
        return (max(times) - min(times)).total_seconds()

    call_command("runproducer", count=200, rate="1000", seed=8)
    plain = {m.value() for m in kafka.read(kafka_topics.transactions, expected=200)}
    call_command("runproducer", count=200, rate="1000", seed=8, time_scale=10.0)
    both = {m.value() for m in kafka.read(kafka_topics.transactions, expected=400)}
    assert len(plain) == 200 and len(both) == 400
    assert span(both - plain) == pytest.approx(10 * span(plain), rel=0.01)


@pytest.mark.parametrize("scale", [0.0, -1.0, float("inf")])
def test_a_bad_time_scale_is_a_clear_error(scale):
    with pytest.raises(CommandError, match="--time-scale"):
        call_command("runproducer", count=1, rate="max", time_scale=scale)
