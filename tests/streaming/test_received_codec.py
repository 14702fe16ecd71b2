"""The shared receivers' messages: what a detector produces is what the
others read back; anything else is refused, never taken for payments."""

import pytest

from transactions_app.detection import ReceivedPayment
from transactions_app.streaming.codec import (
    InvalidMessage,
    decode_received,
    encode_received,
)

PAYMENTS = [
    ReceivedPayment(
        target=f"shop{n}",
        source="card-1",
        time=1_780_000_000.25 + n,
        key=(1 << 127) + n,
        new=n % 2 == 0,
        amount=42.5 * (n + 1),
        currency="EUR",
        origin="3f2a",
    )
    for n in range(3)
]


def test_payments_round_trip_exactly():
    assert decode_received(encode_received(PAYMENTS, "3f2a")) == PAYMENTS
    assert decode_received(encode_received([], "3f2a")) == []


ROW = '"shop7", "card-1", 1.0, "05", true, 1.0, "EUR"'


@pytest.mark.parametrize(
    "value",
    [
        None,
        b"",
        b"not json",
        b"[]",
        b'{"payments": []}',
        b'{"origin": 5, "payments": []}',
        (
            '{"origin": "x", "payments": [[' + ROW.replace('"05"', '"zz"') + "]]}"
        ).encode(),
        ('{"origin": "x", "payments": [[' + ROW.rsplit(",", 1)[0] + "]]}").encode(),
        (
            '{"origin": "x", "payments": [[' + ROW.replace("shop7", "<b>") + "]]}"
        ).encode(),
        (
            '{"origin": "x", "payments": [[' + ROW.replace("EUR", "euro") + "]]}"
        ).encode(),
    ],
    ids=[
        "no value",
        "empty",
        "not json",
        "an array",
        "no origin",
        "an origin not a string",
        "a bad key",
        "a field missing",
        "a bad account",
        "a bad currency",
    ],
)
def test_anything_else_is_refused(value):
    with pytest.raises(InvalidMessage, match="not received payments"):
        decode_received(value)
