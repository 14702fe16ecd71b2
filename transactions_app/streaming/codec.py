"""The transaction message format on the wire, and its validation.

The format is the original tutorial app's JSON object::

    {"source": "...", "target": "...", "amount": 12.5, "currency": "EUR"}

plus two optional fields our producer adds: ``transaction_id`` (a UUID) and
``timestamp`` (ISO 8601, UTC), and the optional enrichment fields
(``merchant_category``, ``channel``, ``country``, ``device_id``, ``ip``),
each validated when present. Unknown fields are ignored so that newer
producers do not break older detectors.
"""

import ipaddress
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

import orjson

from ..detection import (
    ACCOUNT_PATTERN,
    CHANNELS,
    ENRICHMENT_FIELDS,
    ReceivedPayment,
    Transaction,
    Verdict,
)
from .records import MessageOrigin

MAX_AMOUNT = Decimal("1000000000.00")
MAX_MESSAGE_BYTES = 64 * 1024
CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")
COUNTRY_PATTERN = re.compile(r"[A-Z]{2}")
# A merchant category or a device id: the account ids' alphabet, 1-64.
LABEL_PATTERN = ACCOUNT_PATTERN
MAX_IP_CHARACTERS = 45  # the longest text form of an IPv6 address
REQUIRED_FIELDS = ("source", "target", "amount", "currency")


class InvalidMessage(ValueError):
    """A message that cannot become a transaction; the text says why."""


@dataclass(frozen=True, slots=True)
class EventTimeBounds:
    """How far an event time may lie after (``ahead``) or before
    (``behind``) a reference time.

    Each event time is checked against two references: the message's Kafka
    timestamp and the detector's own clock. The Kafka timestamp is set by
    the producer, so it alone proves nothing (a writer that sends 1970 in
    both places would otherwise be stored as 1970); the detector's clock is
    the one the writer does not control. A producer's clock may be off, or
    it may replay history, but not by more than these bounds.
    """

    ahead: timedelta = timedelta(days=7)
    behind: timedelta = timedelta(days=366)


DEFAULT_EVENT_TIME_BOUNDS = EventTimeBounds()


def decode_transaction(
    value: bytes | None,
    origin: MessageOrigin,
    *,
    now: datetime,
    bounds: EventTimeBounds = DEFAULT_EVENT_TIME_BOUNDS,
) -> Transaction:
    """Parse and validate one message value read at ``now`` (the
    detector's clock); raise ``InvalidMessage``."""
    document = _parse_json_object(value)
    missing = [name for name in REQUIRED_FIELDS if document.get(name) is None]
    if missing:
        raise InvalidMessage(f"missing field(s): {', '.join(missing)}")
    return Transaction(
        transaction_id=_transaction_id(document, origin),
        source=_account(document["source"], "source"),
        target=_account(document["target"], "target"),
        amount=_amount(document["amount"]),
        currency=_currency(document["currency"]),
        timestamp=_timestamp(document, origin, now, bounds),
        **_enrichment(document),
    )


def _enrichment(document: dict) -> dict[str, str]:
    """The enrichment fields present in ``document`` (null counts as
    absent), each validated: a bad one makes the message invalid rather
    than be dropped silently."""
    present = {}
    for name in ENRICHMENT_FIELDS:
        value = document.get(name)
        if value is not None:
            present[name] = _ENRICHMENT_CHECKS[name](value)
    return present


def _label(name: str):
    def check(value: object) -> str:
        if not isinstance(value, str) or not LABEL_PATTERN.fullmatch(value):
            raise InvalidMessage(
                f"{name} must be 1-64 characters of letters, digits, '_', '.',"
                f" ':' or '-', starting with a letter or digit; got "
                f"{_preview(value)}"
            )
        return value

    return check


def _channel(value: object) -> str:
    if value not in CHANNELS:
        raise InvalidMessage(
            f"channel must be one of {', '.join(CHANNELS)}; got {_preview(value)}"
        )
    return value


def _country(value: object) -> str:
    if not isinstance(value, str) or not COUNTRY_PATTERN.fullmatch(value):
        raise InvalidMessage(
            "country must be an ISO 3166 code of two capital letters, "
            f"got {_preview(value)}"
        )
    return value


def _ip(value: object) -> str:
    """The address in its canonical text form (so one address is one value
    however it was written)."""
    if isinstance(value, str) and len(value) <= MAX_IP_CHARACTERS:
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            pass
    raise InvalidMessage(f"ip must be an IPv4 or IPv6 address, got {_preview(value)}")


_ENRICHMENT_CHECKS = {
    "merchant_category": _label("merchant_category"),
    "channel": _channel,
    "country": _country,
    "device_id": _label("device_id"),
    "ip": _ip,
}


def _parse_json_object(value: bytes | None) -> dict:
    if value is None:
        raise InvalidMessage("empty message (no value)")
    if len(value) > MAX_MESSAGE_BYTES:
        raise InvalidMessage(
            f"message of {len(value)} bytes exceeds {MAX_MESSAGE_BYTES} bytes"
        )
    try:
        value.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidMessage(f"not UTF-8: {error}") from None
    try:
        # orjson: strict JSON (no NaN or Infinity literals), fast.
        document = orjson.loads(value)
    except orjson.JSONDecodeError as error:
        raise InvalidMessage(f"not JSON: {error}") from None
    if not isinstance(document, dict):
        raise InvalidMessage(f"not a JSON object but {type(document).__name__}")
    return document


def _account(value: object, name: str) -> str:
    if not isinstance(value, str) or not ACCOUNT_PATTERN.fullmatch(value):
        raise InvalidMessage(
            f"{name} must be 1-64 characters of letters, digits, '_', '.', ':'"
            f" or '-', starting with a letter or digit; got {_preview(value)}"
        )
    return value


def _amount(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidMessage(f"amount must be a number, got {_preview(value)}")
    # The shortest repr of a float is the decimal text it was parsed from,
    # for any amount with up to 15 significant digits.
    amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not amount.is_finite():
        raise InvalidMessage("amount must be finite")
    if amount <= 0:
        raise InvalidMessage(f"amount must be positive, got {amount}")
    if amount > MAX_AMOUNT:
        raise InvalidMessage(f"amount {amount} exceeds the maximum {MAX_AMOUNT}")
    try:
        cents = amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise InvalidMessage(f"amount {amount} is not representable") from None
    if cents != amount:
        raise InvalidMessage(f"amount {amount} has more than 2 decimals")
    return cents


def _currency(value: object) -> str:
    if not isinstance(value, str) or not CURRENCY_PATTERN.fullmatch(value):
        raise InvalidMessage(
            f"currency must be three capital letters, got {_preview(value)}"
        )
    return value


def _transaction_id(document: dict, origin: MessageOrigin) -> uuid.UUID:
    value = document.get("transaction_id")
    if value is None:
        return origin.derived_transaction_id()
    if not isinstance(value, str):
        raise InvalidMessage(f"transaction_id must be a string, got {_preview(value)}")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidMessage(
            f"transaction_id is not a UUID: {_preview(value)}"
        ) from None


def _timestamp(
    document: dict, origin: MessageOrigin, now: datetime, bounds: EventTimeBounds
) -> datetime:
    """The event time: the ``timestamp`` field, else the Kafka time; within
    ``bounds`` of both the Kafka time and ``now``."""
    value = document.get("timestamp")
    if value is None:
        _check_bounds(origin.timestamp, "the Kafka time", origin, now, bounds)
        return origin.timestamp
    if not isinstance(value, str):
        raise InvalidMessage(f"timestamp must be a string, got {_preview(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidMessage(f"timestamp is not ISO 8601: {_preview(value)}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:
        raise InvalidMessage(f"timestamp out of range: {_preview(value)}") from None
    _check_bounds(parsed, f"timestamp {_preview(value)}", origin, now, bounds)
    return parsed


def _check_bounds(
    event_time: datetime,
    name: str,
    origin: MessageOrigin,
    now: datetime,
    bounds: EventTimeBounds,
) -> None:
    references = (("the message's Kafka time", origin.timestamp), ("now", now))
    for reference_name, reference in references:
        try:
            too_late = event_time > reference + bounds.ahead
            too_early = event_time < reference - bounds.behind
        except OverflowError:
            raise InvalidMessage(f"{name} is out of range") from None
        if too_late or too_early:
            limit = _duration(bounds.ahead if too_late else bounds.behind)
            raise InvalidMessage(
                f"{name} is more than {limit} "
                f"{'after' if too_late else 'before'} {reference_name} "
                f"({reference.isoformat()})"
            )


def _duration(delta: timedelta) -> str:
    """``7 days``, ``2 h``, ``90 s``: the bound as a reader would write it."""
    seconds = delta.total_seconds()
    if seconds % 86400 == 0:
        days = int(seconds // 86400)
        return f"{days} day{'s' if days != 1 else ''}"
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    return f"{seconds:g} s"


def _preview(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def transaction_to_dict(transaction: Transaction) -> dict:
    """The wire form of a transaction: the original four fields plus the
    id and the event time, and the enrichment fields it carries."""
    document = _wire_document(transaction)
    document["transaction_id"] = str(transaction.transaction_id)
    document["timestamp"] = transaction.timestamp.isoformat().replace("+00:00", "Z")
    return document


# orjson writes a UUID as its text and a UTC time with a "Z", as
# ``transaction_to_dict`` spells them out: the encoders hand it the objects
# and save a str() and an isoformat() a message (half the encoding's cost).
_WIRE_OPTIONS = orjson.OPT_UTC_Z


def _wire_document(transaction: Transaction) -> dict:
    """``transaction_to_dict`` with the id and the event time left as the
    objects they are, for orjson to write."""
    document = {
        "transaction_id": transaction.transaction_id,
        "source": transaction.source,
        "target": transaction.target,
        "amount": float(transaction.amount),
        "currency": transaction.currency,
        "timestamp": transaction.timestamp,
    }
    for name in ENRICHMENT_FIELDS:
        value = getattr(transaction, name)
        if value is not None:
            document[name] = value
    return document


def encode_transaction(transaction: Transaction) -> bytes:
    """Serialise a transaction for the input topic."""
    return orjson.dumps(_wire_document(transaction), option=_WIRE_OPTIONS)


def encode_verdict(transaction: Transaction, verdict: Verdict) -> bytes:
    """Serialise a classified transaction for the legit or fraud topic.

    It is the input message with ``outcome``, ``score`` and ``reasons``
    added, so consumers of the original format keep working.
    """
    document = _wire_document(transaction)
    document["outcome"] = verdict.outcome.value
    document["score"] = verdict.score
    document["reasons"] = [reason.as_dict() for reason in verdict.reasons]
    return orjson.dumps(document, option=_WIRE_OPTIONS)


# The header naming the engine whose payments a receivers' message holds.
RECEIVED_ORIGIN_HEADER = "origin"


def encode_received(payments: Sequence[ReceivedPayment], origin: str) -> bytes:
    """Payments one engine recorded, for the shared receivers' topic: a
    JSON object with the engine's name (``origin``) and one array per
    payment (target, source, event time, transaction key as 32 hex
    digits, first payment of the source to the target, amount, currency).
    Many payments a message: the topic's cost is per message."""
    return orjson.dumps(
        {
            "origin": origin,
            "payments": [
                [
                    p.target,
                    p.source,
                    p.time,
                    f"{p.key:032x}",
                    p.new,
                    p.amount,
                    p.currency,
                ]
                for p in payments
            ],
        }
    )


def decode_received(value: bytes | None) -> list[ReceivedPayment]:
    """The inverse of ``encode_received``; raise ``InvalidMessage``."""
    try:
        document = orjson.loads(value or b"")
        origin = document["origin"]
        if not isinstance(origin, str):
            raise TypeError("origin must be a string")
        return [
            ReceivedPayment(
                target=_account(target, "target"),
                source=_account(source, "source"),
                time=float(time),
                key=int(key, 16),
                new=bool(new),
                amount=float(amount),
                currency=_currency(currency),
                origin=origin,
            )
            for target, source, time, key, new, amount, currency in document["payments"]
        ]
    except (orjson.JSONDecodeError, ValueError, TypeError, KeyError) as error:
        raise InvalidMessage(f"not received payments: {error}") from None
