"""Property-based fuzzing of the decoder: whatever the bytes, it returns a
valid transaction or raises InvalidMessage, never anything else; and the
encoders write, byte for byte, the wire form ``transaction_to_dict``
spells out, whatever the transaction."""

import json
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.properties import examples
from transactions_app.detection import Outcome, Reason, Transaction, Verdict
from transactions_app.streaming.codec import (
    ACCOUNT_PATTERN,
    CURRENCY_PATTERN,
    MAX_AMOUNT,
    InvalidMessage,
    decode_transaction,
    encode_transaction,
    encode_verdict,
    transaction_to_dict,
)
from transactions_app.streaming.records import MessageOrigin

ORIGIN = MessageOrigin("in", 0, 7, datetime(2026, 3, 1, tzinfo=UTC))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
near_valid = st.fixed_dictionaries(
    {
        "source": st.one_of(st.text(max_size=70), json_values),
        "target": st.one_of(st.text(max_size=70), json_values),
        "amount": st.one_of(
            st.floats(allow_nan=True),
            st.integers(),
            json_values,
            st.decimals(allow_nan=False).map(float),
        ),
        "currency": st.one_of(st.text(max_size=4), json_values),
    },
    optional={
        "transaction_id": st.one_of(st.uuids().map(str), st.text(max_size=40)),
        "timestamp": st.one_of(
            st.datetimes().map(lambda d: d.isoformat()), st.text(max_size=30)
        ),
    },
)


def check(value: bytes) -> None:
    try:
        tx = decode_transaction(value, ORIGIN, now=ORIGIN.timestamp)
    except InvalidMessage:
        return
    assert ACCOUNT_PATTERN.fullmatch(tx.source)
    assert ACCOUNT_PATTERN.fullmatch(tx.target)
    assert CURRENCY_PATTERN.fullmatch(tx.currency)
    assert Decimal("0") < tx.amount <= MAX_AMOUNT
    assert tx.amount == tx.amount.quantize(Decimal("0.01"))
    assert tx.timestamp.tzinfo is not None


@settings(max_examples=examples(3000), deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_decoder(value):
    check(value)


@settings(max_examples=examples(3000), deadline=None)
@given(near_valid)
def test_near_valid_documents_never_crash_the_decoder(document):
    check(json.dumps(document, allow_nan=True).encode())


@settings(max_examples=examples(1000), deadline=None)
@given(json_values)
def test_any_json_never_crashes_the_decoder(document):
    check(json.dumps(document, allow_nan=True).encode())


labels = st.none() | st.from_regex(ACCOUNT_PATTERN, fullmatch=True)
transactions = st.builds(
    Transaction,
    transaction_id=st.uuids(),
    source=st.from_regex(ACCOUNT_PATTERN, fullmatch=True),
    target=st.from_regex(ACCOUNT_PATTERN, fullmatch=True),
    amount=st.decimals(min_value=Decimal("0.01"), max_value=MAX_AMOUNT, places=2),
    currency=st.from_regex(CURRENCY_PATTERN, fullmatch=True),
    # Whole seconds too: neither form writes a zero fraction.
    timestamp=st.datetimes(timezones=st.just(UTC)),
    merchant_category=labels,
    channel=st.none() | st.sampled_from(("card", "transfer")),
    country=st.none() | st.just("DE"),
    device_id=labels,
    ip=st.none() | st.ip_addresses().map(str),
)


@settings(max_examples=examples(500), deadline=None)
@given(transactions)
def test_the_encoders_write_the_wire_form(tx):
    wire = transaction_to_dict(tx)
    assert encode_transaction(tx) == json.dumps(wire, separators=(",", ":")).encode()
    reason = Reason("velocity", 2, "5 in 60 s", ">= 5", 40, window=60)
    verdict = Verdict(Outcome.REVIEW, 40, (reason,))
    document = json.loads(encode_verdict(tx, verdict))
    assert document == wire | {
        "outcome": "review",
        "score": 40,
        "reasons": [reason.as_dict()],
    }
