"""rundetector against the real broker, Redis and PostgreSQL: messages in
the original format go in; rows, routed results and dead letters come out."""

import json
import uuid
from decimal import Decimal

import pytest

from tests.streaming.detector_thread import run_detector_until_done
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


def run_detector(kafka, group_id: str) -> None:
    """rundetector until its group has committed the whole input topic."""
    run_detector_until_done(kafka, group_id=group_id)


def test_original_format_is_classified_stored_and_routed(kafka_topics, kafka, group_id):
    """Original-format messages are stored once each with the original rule's
    verdict, and routed: >= 900 to the fraud topic, the rest to legit."""
    kafka.produce(kafka_topics.transactions, LEGIT + FRAUD, key=b"a1B2c3D4e5F6")

    run_detector(kafka, group_id)

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

    run_detector(kafka, group_id)

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

    run_detector(kafka, group_id)
    run_detector(kafka, f"{group_id}-again")

    assert Transaction.objects.count() == len(with_ids) + len(LEGIT)
    assert set(
        str(t) for t in Transaction.objects.values_list("transaction_id", flat=True)
    ) >= {m["transaction_id"] for m in with_ids}


def test_dead_letters_are_kept_in_the_database_and_can_be_redriven(
    kafka_topics, kafka, group_id
):
    """Each rejected message is a DeadLetter row with its bytes, headers and
    reason; re-driving sends it, as it was, to the input topic again."""
    from confluent_kafka import Producer

    from transactions_app.models import DeadLetter
    from transactions_app.tasks import redrive_dead_letters

    producer = Producer(kafka.config)
    producer.produce(
        kafka_topics.transactions,
        key=b"k",
        value=b"\xff\xfe",
        headers=[("trace-id", b"abc")],
    )
    assert producer.flush(30) == 0
    kafka.produce(kafka_topics.transactions, BAD[1:3])

    run_detector(kafka, group_id)

    letters = list(DeadLetter.objects.order_by("error"))
    assert len(letters) == 3
    utf8 = next(d for d in letters if d.error.startswith("not UTF-8"))
    assert bytes(utf8.value) == b"\xff\xfe"
    assert bytes(utf8.key) == b"k"
    assert utf8.headers == [["trace-id", "YWJj"]]
    assert utf8.topic == kafka_topics.transactions

    result = redrive_dead_letters.apply(args=[[utf8.pk]]).get()
    assert result == 1
    utf8.refresh_from_db()
    assert utf8.redriven_at is not None
    again = [
        m
        for m in kafka.read(kafka_topics.transactions, expected=4)
        if dict(m.headers() or []).get("redriven.from")
    ]
    assert len(again) == 1
    assert again[0].value() == b"\xff\xfe"
    assert dict(again[0].headers())["trace-id"] == b"abc"


def test_a_reused_id_with_other_content_goes_to_the_dead_letter_topic(
    kafka_topics, kafka, group_id
):
    """A second message reusing a transaction id with other content does not
    overwrite the first: it is dead-lettered (topic and table), and only the
    first is routed to a result topic."""
    from transactions_app.models import DeadLetter

    tid = str(uuid.uuid4())
    first = LEGIT[0] | {"transaction_id": tid}
    second = FRAUD[0] | {"transaction_id": tid}
    kafka.produce(kafka_topics.transactions, [first, second], key=b"one-partition")
    run_detector(kafka, group_id)
    row = Transaction.objects.get(transaction_id=tid)
    assert float(row.amount) == first["amount"]
    [letter] = kafka.read(kafka_topics.deadletter, expected=1)
    assert json.loads(letter.value()) == second
    assert b"with different content" in dict(letter.headers())["deadletter.error"]
    assert DeadLetter.objects.get().error.startswith(f"duplicate transaction_id {tid}")
    assert kafka.read(kafka_topics.fraud, expected=0) == []
    assert len(kafka.read(kafka_topics.legit, expected=1)) == 1


def test_a_fuzzed_stream_stores_exactly_the_valid_messages(
    kafka_topics, kafka, group_id
):
    """Thousands of random and mangled messages mixed with valid ones: the
    detector never stops, stores every valid one correctly and dead-letters
    the rest."""
    import random

    from transactions_app.models import DeadLetter

    rng = random.Random(20261129)
    valid, values = [], []
    for i in range(3_000):
        if i % 10 == 0:
            document = {
                "transaction_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "source": f"src{i}",
                "target": f"dst{i}",
                "amount": rng.randint(1, 10**8) / 100,
                "currency": "EUR",
            }
            valid.append(document)
            values.append(json.dumps(document).encode())
        elif i % 3 == 0:
            values.append(rng.randbytes(rng.randint(0, 200)))
        else:
            document = dict(LEGIT[0])
            key = rng.choice(list(document))
            document[key] = rng.choice(
                [
                    None,
                    True,
                    "",
                    "x" * 100,
                    -1,
                    1e309,
                    [1],
                    {"a": 1},
                    0.001,
                    "EURO",
                    "\x00",
                ]
            )
            values.append(json.dumps(document).encode())
    kafka.produce(kafka_topics.transactions, values, key=b"fuzz")

    run_detector(kafka, group_id)

    accepted = sum(decodes(value) for value in values)  # some mangling is valid
    assert accepted > len(valid)
    rows = {str(r.transaction_id): r for r in Transaction.objects.all()}
    assert len(rows) == accepted
    for document in valid:
        row = rows[document["transaction_id"]]
        assert (row.source, row.target, float(row.amount)) == (
            document["source"],
            document["target"],
            document["amount"],
        )
    assert DeadLetter.objects.count() == len(values) - accepted


def decodes(value: bytes) -> bool:
    from datetime import UTC, datetime

    from transactions_app.streaming.codec import InvalidMessage, decode_transaction
    from transactions_app.streaming.records import MessageOrigin

    try:
        decode_transaction(
            value, MessageOrigin("t", 0, 0, datetime.now(UTC)), now=datetime.now(UTC)
        )
    except InvalidMessage:
        return False
    return True
