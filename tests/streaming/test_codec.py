"""Decoding the wire format: the original messages are accepted, bad ones
are rejected with a reason."""

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from transactions_app.detection import Outcome, Reason, Verdict
from transactions_app.streaming.codec import (
    EventTimeBounds,
    InvalidMessage,
    decode_transaction,
    encode_transaction,
    encode_verdict,
)
from transactions_app.streaming.records import MessageOrigin

ORIGIN = MessageOrigin(
    topic="queuing.transactions",
    partition=2,
    offset=41,
    timestamp=datetime(2026, 3, 1, 8, 30, tzinfo=UTC),
)
# The detector's clock, when a test does not say otherwise, agrees with Kafka.
NOW = ORIGIN.timestamp
ORIGINAL = {
    "source": "a1B2c3D4e5F6",
    "target": "Z9y8X7w6V5u4",
    "amount": 950.25,
    "currency": "EUR",
}


def encoded(document) -> bytes:
    return json.dumps(document).encode()


def test_accepts_the_original_format():
    """The tutorial's four-field message decodes, with an exact amount."""
    tx = decode_transaction(encoded(ORIGINAL), ORIGIN, now=NOW)
    assert tx.source == "a1B2c3D4e5F6"
    assert tx.target == "Z9y8X7w6V5u4"
    assert tx.amount == Decimal("950.25")
    assert tx.currency == "EUR"


def test_missing_id_is_derived_from_the_kafka_position():
    """The same message at the same offset always gets the same id, so a
    redelivery is recognised as a duplicate."""
    first = decode_transaction(encoded(ORIGINAL), ORIGIN, now=NOW)
    again = decode_transaction(encoded(ORIGINAL), ORIGIN, now=NOW)
    elsewhere = MessageOrigin("queuing.transactions", 2, 42, ORIGIN.timestamp)
    assert first.transaction_id == again.transaction_id
    assert decode_transaction(encoded(ORIGINAL), elsewhere, now=NOW).transaction_id != (
        first.transaction_id
    )


def test_missing_timestamp_is_the_kafka_message_time():
    """Without a timestamp field the event time is the Kafka timestamp."""
    assert (
        decode_transaction(encoded(ORIGINAL), ORIGIN, now=NOW).timestamp
        == ORIGIN.timestamp
    )


def test_optional_fields_are_used_when_present():
    """Our producer's transaction_id and timestamp are kept."""
    tid = uuid.uuid4()
    document = ORIGINAL | {
        "transaction_id": str(tid),
        "timestamp": "2026-03-01T09:00:00.123456Z",
    }
    tx = decode_transaction(encoded(document), ORIGIN, now=NOW)
    assert tx.transaction_id == tid
    assert tx.timestamp == datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)


def test_timestamps_are_normalised_to_utc():
    """An offset timestamp becomes UTC; a naive one is taken as UTC."""
    plus_two = ORIGINAL | {"timestamp": "2026-03-01T11:00:00+02:00"}
    naive = ORIGINAL | {"timestamp": "2026-03-01T09:00:00"}
    expected = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert decode_transaction(encoded(plus_two), ORIGIN, now=NOW).timestamp == expected
    assert decode_transaction(encoded(naive), ORIGIN, now=NOW).timestamp == expected


def test_integer_amounts_and_unknown_fields_are_accepted():
    """{"amount": 12} is 12.00, and fields we do not know are ignored."""
    tx = decode_transaction(
        encoded(ORIGINAL | {"amount": 12, "note": "x"}), ORIGIN, now=NOW
    )
    assert tx.amount == Decimal("12.00")


BAD_MESSAGES = {
    "no value": (None, "empty message"),
    "invalid utf-8": (b"\xff\xfe{", "not UTF-8"),
    "not json": (b"{source: 1", "not JSON"),
    "json array": (b"[1, 2]", "not a JSON object but list"),
    "json scalar": (b"42", "not a JSON object but int"),
    "missing source": (
        encoded({k: v for k, v in ORIGINAL.items() if k != "source"}),
        "missing field(s): source",
    ),
    "missing amount and currency": (
        encoded({"source": "a", "target": "b"}),
        "missing field(s): amount, currency",
    ),
    "null target": (encoded(ORIGINAL | {"target": None}), "missing field(s): target"),
    "bool amount": (encoded(ORIGINAL | {"amount": True}), "amount must be a number"),
    "string amount": (
        encoded(ORIGINAL | {"amount": "950.25"}),
        "amount must be a number",
    ),
    "nan amount": (
        b'{"source":"a","target":"b","amount":NaN,"currency":"EUR"}',
        "not JSON",
    ),
    "infinite amount": (
        b'{"source":"a","target":"b","amount":-Infinity,"currency":"EUR"}',
        "not JSON",
    ),
    "huge exponent": (
        b'{"source":"a","target":"b","amount":1e400,"currency":"EUR"}',
        "not JSON",
    ),
    "negative amount": (encoded(ORIGINAL | {"amount": -5}), "must be positive"),
    "zero amount": (encoded(ORIGINAL | {"amount": 0}), "must be positive"),
    "absurd amount": (encoded(ORIGINAL | {"amount": 10**15}), "exceeds the maximum"),
    "three decimals": (encoded(ORIGINAL | {"amount": 1.005}), "more than 2 decimals"),
    "lowercase currency": (
        encoded(ORIGINAL | {"currency": "eur"}),
        "currency must be three capital letters",
    ),
    "long currency": (
        encoded(ORIGINAL | {"currency": "EURO"}),
        "currency must be three capital letters",
    ),
    "numeric currency": (
        encoded(ORIGINAL | {"currency": 978}),
        "currency must be three capital letters",
    ),
    "empty source": (encoded(ORIGINAL | {"source": ""}), "source must be"),
    "long source": (encoded(ORIGINAL | {"source": "a" * 65}), "source must be"),
    "control character target": (
        encoded(ORIGINAL | {"target": "ab\ncd"}),
        "target must be",
    ),
    "markup in source": (encoded(ORIGINAL | {"source": "<script>"}), "source must be"),
    "bad transaction id": (
        encoded(ORIGINAL | {"transaction_id": "nope"}),
        "transaction_id is not a UUID",
    ),
    "numeric transaction id": (
        encoded(ORIGINAL | {"transaction_id": 7}),
        "transaction_id must be a string",
    ),
    "bad timestamp": (
        encoded(ORIGINAL | {"timestamp": "yesterday"}),
        "timestamp is not ISO 8601",
    ),
    "exponent beyond Decimal": (
        b'{"source":"a","target":"b","amount":1,"currency":"EUR",'
        b'"x":1e1000000000000000000}',
        "not JSON",
    ),
    "timestamp before year 1 in UTC": (
        encoded(ORIGINAL | {"timestamp": "0001-01-01T00:00:00+01:00"}),
        "timestamp out of range",
    ),
    "timestamp after year 9999 in UTC": (
        encoded(ORIGINAL | {"timestamp": "9999-12-31T23:59:59-01:00"}),
        "timestamp out of range",
    ),
    "deep nesting": (b"[" * 30000 + b"]" * 30000, "not JSON"),
    "1 MB message": (
        encoded(ORIGINAL | {"padding": "x" * 1_000_000}),
        "exceeds 65536 bytes",
    ),
    "timestamp far in the future": (
        encoded(ORIGINAL | {"timestamp": "2100-01-01T00:00:00Z"}),
        "more than 7 days after the message's Kafka time",
    ),
    "timestamp far in the past": (
        encoded(ORIGINAL | {"timestamp": "1970-01-01T00:00:00Z"}),
        "more than 366 days before the message's Kafka time",
    ),
}


@pytest.mark.parametrize(
    ("value", "reason"), BAD_MESSAGES.values(), ids=BAD_MESSAGES.keys()
)
def test_bad_messages_are_rejected_with_a_reason(value, reason):
    """Each kind of bad input raises InvalidMessage saying what is wrong."""
    with pytest.raises(InvalidMessage) as error:
        decode_transaction(value, ORIGIN, now=NOW)
    assert reason in str(error.value)


def test_encoding_round_trips():
    """What our producer writes decodes to the same transaction."""
    tx = decode_transaction(
        encoded(
            ORIGINAL
            | {
                "transaction_id": str(uuid.uuid4()),
                "timestamp": "2026-03-01T09:00:00+00:00",
            }
        ),
        ORIGIN,
        now=NOW,
    )
    assert decode_transaction(encode_transaction(tx), ORIGIN, now=NOW) == tx


def test_verdict_message_is_the_input_plus_the_verdict():
    """Output topics get the original fields plus outcome, score, reasons."""
    tx = decode_transaction(encoded(ORIGINAL), ORIGIN, now=NOW)
    reason = Reason("amount_threshold", 1, "950.25 EUR", ">= 900 EUR", 100)
    document = json.loads(encode_verdict(tx, Verdict(Outcome.FRAUD, 100, (reason,))))
    assert {k: document[k] for k in ORIGINAL} == ORIGINAL
    assert document["outcome"] == "fraud"
    assert document["score"] == 100
    assert document["reasons"][0]["rule"] == "amount_threshold"
    assert document["timestamp"] == "2026-03-01T08:30:00Z"


def test_timestamp_offsets_other_than_utc_are_converted():
    """A timestamp in another zone names the same instant in UTC."""
    zone = timezone(timedelta(hours=-5))
    value = datetime(2026, 3, 1, 4, 0, tzinfo=zone).isoformat()
    tx = decode_transaction(encoded(ORIGINAL | {"timestamp": value}), ORIGIN, now=NOW)
    assert tx.timestamp.utcoffset() == timedelta(0)
    assert tx.timestamp.hour == 9


def at(moment: datetime) -> MessageOrigin:
    """ORIGIN with another Kafka timestamp."""
    return MessageOrigin(ORIGIN.topic, ORIGIN.partition, ORIGIN.offset, moment)


def with_time(moment: datetime) -> bytes:
    return encoded(ORIGINAL | {"timestamp": moment.isoformat()})


def test_a_writer_that_sends_1970_twice_is_refused_by_the_detectors_clock():
    """A 1970 Kafka timestamp and a 1970 event time agree with each other;
    the detector's own clock is what refuses them."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidMessage) as error:
        decode_transaction(with_time(epoch), at(epoch), now=NOW)
    assert "more than 366 days before now" in str(error.value)


def test_a_missing_timestamp_takes_a_kafka_time_only_within_the_bounds():
    """Without a timestamp field the Kafka time is the event time, so it
    is held to the same bounds against the detector's clock."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidMessage) as error:
        decode_transaction(encoded(ORIGINAL), at(epoch), now=NOW)
    assert "the Kafka time is more than 366 days before now" in str(error.value)


DAY = timedelta(days=1)
BOUNDS = EventTimeBounds()
# Each case moves the other reference one day out of the way, so that the
# named one is the bound that binds: (Kafka time, clock, limit, refused by).
LIMITS = {
    "ahead of the Kafka time": (NOW, NOW + DAY, NOW + BOUNDS.ahead, "Kafka time"),
    "ahead of the clock": (NOW + DAY, NOW, NOW + BOUNDS.ahead, "now"),
    "behind the Kafka time": (NOW, NOW - DAY, NOW - BOUNDS.behind, "Kafka time"),
    "behind the clock": (NOW - DAY, NOW, NOW - BOUNDS.behind, "now"),
}


@pytest.mark.parametrize(
    ("kafka_time", "now", "limit", "refused_by"), LIMITS.values(), ids=LIMITS.keys()
)
def test_event_time_bounds_hold_at_the_limit_and_refuse_just_past_it(
    kafka_time, now, limit, refused_by
):
    """Exactly 7 days ahead or 366 days behind is accepted; a microsecond
    further is refused, naming the reference it was measured against."""
    past = limit + (timedelta(microseconds=1) if limit > NOW else -timedelta(0, 0, 1))
    assert decode_transaction(with_time(limit), at(kafka_time), now=now).timestamp == (
        limit
    )
    with pytest.raises(InvalidMessage) as error:
        decode_transaction(with_time(past), at(kafka_time), now=now)
    assert refused_by in str(error.value)


def test_an_event_time_the_kafka_time_allows_is_refused_by_the_clock():
    """Kafka time and event time a year in the future of the detector's
    clock agree with each other, but not with the clock."""
    future = NOW + timedelta(days=365)
    with pytest.raises(InvalidMessage) as error:
        decode_transaction(with_time(future), at(future), now=NOW)
    assert "more than 7 days after now" in str(error.value)


def test_tighter_bounds_refuse_what_the_defaults_accept():
    """Bounds are configurable: a live deployment can refuse event times
    an hour off its clock, which a writer could use to slip out of the
    rules' windows."""
    bounds = EventTimeBounds(ahead=timedelta(minutes=5), behind=timedelta(hours=1))
    late = NOW - timedelta(hours=2)
    assert decode_transaction(with_time(late), at(late), now=NOW).timestamp == late
    with pytest.raises(InvalidMessage) as error:
        decode_transaction(with_time(late), at(late), now=NOW, bounds=bounds)
    assert "more than 1 h before" in str(error.value)
