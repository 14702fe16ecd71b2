"""rundetector against the real broker, Redis and PostgreSQL: messages in
the original format go in; rows, routed results and dead letters come out."""

import json
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command

from transactions_app.models import Transaction

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_rules"),
]

LEGIT = [
    {
        "source": "a1B2c3D4e5F6",
        "target": "Z9y8X7w6V5u4",
        "amount": 1.0,
        "currency": "EUR",
    },
    {
        "source": "a1B2c3D4e5F6",
        "target": "Q1w2E3r4T5y6",
        "amount": 899.99,
        "currency": "EUR",
    },
    {
        "source": "k9J8h7G6f5D4",
        "target": "Z9y8X7w6V5u4",
        "amount": 120.5,
        "currency": "EUR",
    },
]
FRAUD = [
    {
        "source": "m1N2b3V4c5X6",
        "target": "Z9y8X7w6V5u4",
        "amount": 900.0,
        "currency": "EUR",
    },
    {
        "source": "m1N2b3V4c5X6",
        "target": "P0o9I8u7Y6t5",
        "amount": 9999.99,
        "currency": "EUR",
    },
]
BAD = [
    b"\xff\xfe not utf-8",
    b"not json at all",
    b"[1, 2, 3]",
    json.dumps(
        {"source": "a1B2c3D4e5F6", "target": "Z9y8X7w6V5u4", "currency": "EUR"}
    ).encode(),
    json.dumps(
        {
            "source": "a1B2c3D4e5F6",
            "target": "Z9y8X7w6V5u4",
            "amount": "12.00",
            "currency": "EUR",
        }
    ).encode(),
    b'{"source":"a1B2c3D4e5F6","target":"Z9y8X7w6V5u4","amount":NaN,"currency":"EUR"}',
    json.dumps(
        {
            "source": "a1B2c3D4e5F6",
            "target": "Z9y8X7w6V5u4",
            "amount": -3,
            "currency": "EUR",
        }
    ).encode(),
    json.dumps(
        {
            "source": "a1B2c3D4e5F6",
            "target": "Z9y8X7w6V5u4",
            "amount": 0,
            "currency": "EUR",
        }
    ).encode(),
    json.dumps(
        {
            "source": "a1B2c3D4e5F6",
            "target": "Z9y8X7w6V5u4",
            "amount": 5,
            "currency": "EURO",
        }
    ).encode(),
]


def run_detector(group_id: str, idle: float = 3.0) -> None:
    call_command("rundetector", group_id=group_id, exit_when_idle=idle)


def test_original_format_is_classified_stored_and_routed(kafka_topics, kafka, group_id):
    """Original-format messages are stored once each with the original rule's
    verdict, and routed: >= 900 to the fraud topic, the rest to legit."""
    kafka.produce(kafka_topics.transactions, LEGIT + FRAUD, key=b"a1B2c3D4e5F6")

    run_detector(group_id)

    rows = {(float(r.amount), r.outcome) for r in Transaction.objects.all()}
    assert rows == {(m["amount"], "legit") for m in LEGIT} | {
        (m["amount"], "fraud") for m in FRAUD
    }
    fraud_row = Transaction.objects.get(amount=Decimal("900.00"))
    assert fraud_row.score == 100
    assert fraud_row.reasons[0]["rule"] == "amount_threshold"
    assert fraud_row.reasons[0]["threshold"] == ">= 900 EUR"
    assert fraud_row.kafka_topic == kafka_topics.transactions
    assert fraud_row.currency == "EUR"

    legit_out = kafka.read(kafka_topics.legit, expected=len(LEGIT))
    fraud_out = kafka.read(kafka_topics.fraud, expected=len(FRAUD))
    assert sorted(json.loads(m.value())["amount"] for m in legit_out) == sorted(
        m["amount"] for m in LEGIT
    )
    assert sorted(json.loads(m.value())["amount"] for m in fraud_out) == sorted(
        m["amount"] for m in FRAUD
    )
    for message in fraud_out:
        document = json.loads(message.value())
        assert document["outcome"] == "fraud"
        assert message.key() == document["transaction_id"].encode()
        assert Transaction.objects.filter(
            transaction_id=document["transaction_id"]
        ).exists()


def test_bad_messages_go_to_the_dead_letter_topic_and_the_stream_goes_on(
    kafka_topics, kafka, group_id
):
    """Bad messages are dead-lettered with their bytes and a reason; the
    good messages around them are stored, and every offset is committed."""
    values = [LEGIT[0], *BAD, FRAUD[0]]
    kafka.produce(kafka_topics.transactions, values, key=b"same-partition")
    partitions = 3
    before = kafka.uncommitted(group_id, kafka_topics.transactions, partitions)
    assert sum(before.values()) == len(values)

    run_detector(group_id)

    assert Transaction.objects.count() == 2
    dead = kafka.read(kafka_topics.deadletter, expected=len(BAD))
    assert sorted(m.value() for m in dead) == sorted(BAD)
    for message in dead:
        headers = dict(message.headers())
        assert headers["deadletter.error"]
        assert headers["deadletter.topic"] == kafka_topics.transactions.encode()
        assert int(headers["deadletter.offset"]) >= 0
        assert message.key() == b"same-partition"
    reasons = {dict(m.headers())["deadletter.error"].decode() for m in dead}
    assert any("not UTF-8" in r for r in reasons)
    assert any("missing field(s): amount" in r for r in reasons)
    assert any("currency must be three capital letters" in r for r in reasons)

    assert kafka.uncommitted(group_id, kafka_topics.transactions, partitions) == {}


def test_a_restarted_detector_stores_nothing_twice(kafka_topics, kafka, group_id):
    """Reprocessing the topic from the start (a new group, as after a crash
    before any commit) leaves exactly one row per transaction."""
    with_ids = [m | {"transaction_id": str(uuid.uuid4())} for m in LEGIT + FRAUD]
    kafka.produce(kafka_topics.transactions, with_ids + LEGIT)

    run_detector(group_id)
    run_detector(f"{group_id}-again")

    assert Transaction.objects.count() == len(with_ids) + len(LEGIT)
    assert set(
        str(t) for t in Transaction.objects.values_list("transaction_id", flat=True)
    ) >= {m["transaction_id"] for m in with_ids}
