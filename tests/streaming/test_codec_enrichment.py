"""The optional enrichment fields on the wire: validated when present, kept
through encoding, absent from a message in the tutorial's format."""

import json

import pytest

from tests.streaming.test_codec import NOW, ORIGIN, ORIGINAL, encoded
from transactions_app.detection import CHANNELS, ENRICHMENT_FIELDS
from transactions_app.streaming.codec import (
    InvalidMessage,
    decode_transaction,
    encode_transaction,
)

ENRICHED = ORIGINAL | {
    "merchant_category": "grocery_pos",
    "channel": "card_present",
    "country": "DE",
    "device_id": "device-7f3a",
    "ip": "192.0.2.17",
}


def test_a_message_in_the_tutorial_format_has_no_enrichment():
    tx = decode_transaction(encoded(ORIGINAL), ORIGIN, now=NOW)
    assert all(getattr(tx, name) is None for name in ENRICHMENT_FIELDS)
    assert tx.attributes() == ()
    assert set(json.loads(encode_transaction(tx))).isdisjoint(ENRICHMENT_FIELDS)


def test_every_enrichment_field_is_read_and_written_back():
    tx = decode_transaction(encoded(ENRICHED), ORIGIN, now=NOW)
    assert dict(tx.attributes()) == {name: ENRICHED[name] for name in ENRICHMENT_FIELDS}
    assert decode_transaction(encode_transaction(tx), ORIGIN, now=NOW) == tx


def test_null_counts_as_absent():
    tx = decode_transaction(
        encoded(ORIGINAL | {"merchant_category": None, "country": "FR"}),
        ORIGIN,
        now=NOW,
    )
    assert tx.attributes() == (("country", "FR"),)


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_documented_channel_is_accepted(channel):
    tx = decode_transaction(encoded(ORIGINAL | {"channel": channel}), ORIGIN, now=NOW)
    assert tx.channel == channel


def test_an_ip_address_is_kept_in_its_canonical_form():
    """One address is one value however it was written."""
    tx = decode_transaction(
        encoded(ORIGINAL | {"ip": "2001:DB8:0:0:0:0:0:1"}), ORIGIN, now=NOW
    )
    assert tx.ip == "2001:db8::1"


def test_labels_hold_at_64_characters():
    tx = decode_transaction(
        encoded(ORIGINAL | {"merchant_category": "m" * 64, "device_id": "d" * 64}),
        ORIGIN,
        now=NOW,
    )
    assert len(tx.merchant_category) == len(tx.device_id) == 64


BAD_ENRICHMENT = {
    "category of 65 characters": (
        {"merchant_category": "m" * 65},
        "merchant_category must be",
    ),
    "empty category": ({"merchant_category": ""}, "merchant_category must be"),
    "numeric category": ({"merchant_category": 5411}, "merchant_category must be"),
    "markup in category": (
        {"merchant_category": "<b>x</b>"},
        "merchant_category must be",
    ),
    "device of 65 characters": ({"device_id": "d" * 65}, "device_id must be"),
    "unknown channel": (
        {"channel": "telepathy"},
        "channel must be one of card_present",
    ),
    "channel not a string": ({"channel": ["online"]}, "channel must be one of"),
    "lowercase country": ({"country": "de"}, "country must be an ISO 3166 code"),
    "three-letter country": ({"country": "DEU"}, "country must be an ISO 3166 code"),
    "not an address": ({"ip": "999.1.1.1"}, "ip must be an IPv4 or IPv6 address"),
    "address with a port": ({"ip": "192.0.2.1:80"}, "ip must be an IPv4 or IPv6"),
    "long address text": ({"ip": "1" * 46}, "ip must be an IPv4 or IPv6 address"),
    "numeric address": ({"ip": 3221225985}, "ip must be an IPv4 or IPv6 address"),
}


@pytest.mark.parametrize(
    ("fields", "reason"), BAD_ENRICHMENT.values(), ids=BAD_ENRICHMENT.keys()
)
def test_a_bad_enrichment_field_is_rejected_naming_itself(fields, reason):
    with pytest.raises(InvalidMessage) as error:
        decode_transaction(encoded(ORIGINAL | fields), ORIGIN, now=NOW)
    assert reason in str(error.value)
