"""The shared receivers' messages: what a detector produces is what the
others read back; anything else is refused, never taken for a payment."""

import pytest

from transactions_app.detection import ReceivedPayment
from transactions_app.streaming.codec import (
    InvalidMessage,
    decode_received,
    encode_received,
)

PAYMENT = ReceivedPayment(
    target="shop7",
    source="card-1",
    time=1_780_000_000.25,
    key=(1 << 127) + 5,
    new=True,
    amount=42.5,
    currency="EUR",
    origin="3f2a",
)


def test_a_payment_round_trips_exactly():
    assert decode_received(encode_received(PAYMENT)) == PAYMENT


@pytest.mark.parametrize(
    "value",
    [
        None,
        b"",
        b"not json",
        b'{"target": "shop7"}',
        b'["shop7", "card-1", 1.0, "zz", true, 1.0, "EUR", "x"]',
        b'["shop7", "card-1", 1.0, "05", true, 1.0, "EUR"]',
        b'["<b>", "card-1", 1.0, "05", true, 1.0, "EUR", "x"]',
        b'["shop7", "card-1", 1.0, "05", true, 1.0, "euro", "x"]',
    ],
    ids=[
        "no value",
        "empty",
        "not json",
        "an object",
        "a bad key",
        "a field missing",
        "a bad account",
        "a bad currency",
    ],
)
def test_anything_else_is_refused(value):
    with pytest.raises(InvalidMessage, match="not a received payment"):
        decode_received(value)
