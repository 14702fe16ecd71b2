"""Property-based fuzzing of the decoder: whatever the bytes, it returns a
valid transaction or raises InvalidMessage, never anything else."""

import json
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.properties import examples
from transactions_app.streaming.codec import (
    ACCOUNT_PATTERN,
    CURRENCY_PATTERN,
    MAX_AMOUNT,
    InvalidMessage,
    decode_transaction,
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
