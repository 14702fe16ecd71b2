"""Messages as large as the broker accepts, against the real broker,
PostgreSQL and a rundetector process: each one over the validation limit
becomes a truncated dead letter (topic and table), the valid message after
it is stored, every offset is committed, and the detector keeps running,
also when it reads the same messages again."""

import hashlib
import json
import random
import time

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource

from tests.streaming.detector_process import DetectorProcess
from transactions_app.connections import kafka_connection
from transactions_app.models import DeadLetter, Transaction
from transactions_app.streaming.codec import MAX_MESSAGE_BYTES
from transactions_app.streaming.kafka import create_admin

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_rules"),
]

BROKER_LIMIT = 2 * 1024 * 1024  # message.max.bytes in server.properties
# The largest uncompressed value without key or headers the broker takes:
# its limit less the record batch's 61 bytes and the record's 13.
LARGEST = BROKER_LIMIT - 74
PARTITIONS = 3


def transaction(number: int, size: int | None = None) -> bytes:
    """A valid transaction, padded with an unknown field to ``size`` bytes."""
    document = {
        "source": f"acct{number:08d}",
        "target": "Z9y8X7w6V5u4",
        "amount": 10.0 + number,
        "currency": "EUR",
    }
    value = json.dumps(document).encode()
    if size is None:
        return value
    padding = size - len(value) - len(b', "padding": ""')
    value = json.dumps(document | {"padding": "p" * padding}).encode()
    assert len(value) == size
    return value


def raw_producer(kafka, **config) -> Producer:
    """A client allowed larger messages than ours, uncompressed: what the
    broker accepts is then the limit."""
    return Producer(
        kafka.config
        | {"message.max.bytes": 4 * 2**20, "compression.type": "none"}
        | config
    )


def produce(producer: Producer, topic: str, messages: list[dict]) -> list:
    """Produce ``messages`` (keyword arguments of ``produce``) in order and
    return the delivery errors, one per message (None when accepted)."""
    errors = [None] * len(messages)
    for index, message in enumerate(messages):
        producer.produce(
            topic,
            on_delivery=lambda e, _m, i=index: errors.__setitem__(i, e),
            **message,
        )
    assert producer.flush(60) == 0
    return errors


def uncommitted(kafka, group_id, topic) -> dict | None:
    """What is not committed yet; None while the group's coordinator is
    not known (a group that has just started)."""
    try:
        return kafka.uncommitted(group_id, topic, PARTITIONS)
    except KafkaException as error:
        if error.args[0].retriable():
            return None
        raise


def wait_until_committed(kafka, group_id, topic, detector, timeout=120.0) -> None:
    """Until the group's offsets reach the end of every partition; fails at
    once if the detector exits."""
    deadline = time.monotonic() + timeout
    while uncommitted(kafka, group_id, topic) != {}:
        if detector.process.poll() is not None:
            raise AssertionError(f"the detector exited:\n{detector.output}")
        if time.monotonic() > deadline:
            raise AssertionError(f"offsets not committed:\n{detector.output}")
        time.sleep(0.2)


def run_until_committed(settings, kafka, group_id, topic) -> DetectorProcess:
    detector = DetectorProcess(settings, "--group-id", group_id)
    try:
        wait_until_committed(kafka, group_id, topic, detector)
        assert detector.terminate() == 0, detector.output
    finally:
        detector.stop()
    return detector


def test_the_largest_message_is_the_brokers_limit(kafka_topics, kafka):
    """The sizes below are the real limits: one byte more is refused."""
    errors = produce(
        raw_producer(kafka),
        kafka_topics.legit,
        [{"value": b"x" * LARGEST}, {"value": b"x" * (LARGEST + 1)}],
    )
    assert errors[0] is None
    assert errors[1].code() == KafkaError.MSG_SIZE_TOO_LARGE


def oversized() -> dict[str, dict]:
    """Messages the broker accepts, each over the validation limit."""
    return {
        "just past 64 KiB": {"value": transaction(1, MAX_MESSAGE_BYTES + 1)},
        "2,097,000 bytes": {"value": b"x" * 2_097_000},
        "the largest": {"value": b"x" * LARGEST},
        "key, value and headers": {
            "key": b"k" * 512 * 1024,
            "value": b"v" * 512 * 1024,
            "headers": [(f"h{i}", b"x" * 1024) for i in range(900)],
        },
    }


def test_oversized_messages_become_truncated_dead_letters_and_detection_goes_on(
    settings, kafka_topics, kafka, group_id
):
    topic = kafka_topics.transactions
    at_limit = {"value": transaction(0, MAX_MESSAGE_BYTES), "key": b"one"}
    messages = [at_limit]
    for number, message in enumerate(oversized().values(), start=2):
        messages += [message, {"value": transaction(number), "key": b"one"}]
    compressed = {"value": b"x" * 4_000_000, "key": b"one"}  # over 2 MiB
    lz4 = raw_producer(kafka, **{"compression.type": "lz4"})
    assert produce(raw_producer(kafka), topic, messages) == [None] * len(messages)
    assert produce(lz4, topic, [compressed, {"value": transaction(9)}]) == [None] * 2
    expected = [*oversized().values(), compressed]

    run_until_committed(settings, kafka, group_id, topic)

    assert Transaction.objects.count() == 1 + len(expected)
    letters = list(DeadLetter.objects.order_by("original_size", "offset"))
    assert len(letters) == len(expected)
    for letter in letters:
        assert "value" in letter.truncated
        assert len(letter.value) == MAX_MESSAGE_BYTES
        assert letter.error.startswith("message of ")
    assert sorted(d.original_size for d in letters) == sorted(
        len(m["value"]) for m in expected
    )
    assert {d.sha256 for d in letters} == {
        hashlib.sha256(m["value"]).hexdigest() for m in expected
    }
    with_key = next(d for d in letters if d.truncated == "value,key,headers")
    assert (len(with_key.key), with_key.original_key_size) == (4096, 512 * 1024)
    assert 0 < len(with_key.headers) < 900 and with_key.headers_dropped > 0

    on_topic = kafka.read(kafka_topics.deadletter, expected=len(expected))
    assert len(on_topic) == len(expected)
    for message in on_topic:
        headers = dict(message.headers())
        assert len(message.value()) == MAX_MESSAGE_BYTES
        assert headers["deadletter.truncated"].startswith(b"value")
        assert int(headers["deadletter.original-size"]) > MAX_MESSAGE_BYTES
        assert headers["deadletter.sha256"].decode() in {d.sha256 for d in letters}

    # A new group reads the same messages again: no crash, nothing twice.
    run_until_committed(settings, kafka, f"{group_id}-again", topic)
    assert Transaction.objects.count() == 1 + len(expected)
    assert DeadLetter.objects.count() == len(expected)


def test_a_dead_letter_the_broker_refuses_goes_in_its_minimal_form(
    settings, kafka_topics, kafka, group_id
):
    """A dead-letter topic with a lower limit than the fitted letter: the
    broker refuses it, the minimal form (no key or value) goes instead,
    the table keeps the letter, and detection goes on."""
    admin = create_admin(connection=kafka_connection())
    limit = ConfigEntry(
        "max.message.bytes", "10000", incremental_operation=AlterConfigOpType.SET
    )
    resource = ConfigResource(
        "topic", kafka_topics.deadletter, incremental_configs=[limit]
    )
    for future in admin.incremental_alter_configs([resource]).values():
        future.result(timeout=30)
    topic = kafka_topics.transactions
    noise = random.Random(11).randbytes(70_000)  # compression cannot shrink it
    messages = [{"value": noise, "key": b"one"}, {"value": transaction(1)}]
    assert produce(raw_producer(kafka), topic, messages) == [None, None]

    detector = run_until_committed(settings, kafka, group_id, topic)

    [minimal] = kafka.read(kafka_topics.deadletter, expected=1)
    assert (minimal.key(), minimal.value()) == (None, None)
    headers = dict(minimal.headers())
    assert headers["deadletter.original-size"] == b"70000"
    assert headers["deadletter.refused"]
    assert "producing its minimal form" in detector.output
    assert len(DeadLetter.objects.get().value) == MAX_MESSAGE_BYTES
    assert Transaction.objects.count() == 1
