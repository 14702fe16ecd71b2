"""Dead letters: messages the detector cannot accept, kept with a reason.

Any message the broker accepts can be rejected, and the broker accepts a
value, a key and headers of up to 2 MiB together. Forwarded as they came,
plus the ``deadletter.*`` headers, they can exceed the producer's limit, and
a dead letter that cannot be produced would stop the detector. So every
dead letter is first made to fit (``fit_dead_letter``): the value is kept
whole up to the validation limit (anything larger is refused by validation
anyway, so re-driving it whole would be pointless), the key and the
original headers are bounded too, and what was cut is said in headers.
The same fitted form goes to the dead-letter topic and the table.
"""

import hashlib
from dataclasses import dataclass

from .codec import MAX_MESSAGE_BYTES
from .outgoing import Outgoing
from .records import RejectedMessage

# A value is kept whole up to the validation limit, else cut to that prefix.
MAX_VALUE_BYTES = MAX_MESSAGE_BYTES
# Keys are ids of a few dozen bytes; an arbitrary key is cut past this.
MAX_KEY_BYTES = 4 * 1024
# The original headers are kept in order while their cost fits this budget.
MAX_HEADERS_BYTES = 16 * 1024
# What one header costs beyond its name and value: the record's length
# fields on the topic, brackets and quotes in the table's JSON.
HEADER_OVERHEAD = 16
# The reason is a sentence; an exception's text might not be.
MAX_ERROR_CHARS = 1000
ELLIPSIS = "…"
MINIMAL_FORM_HEADER = ("deadletter.refused", b"Kafka refused the full dead letter")


@dataclass(frozen=True, slots=True)
class FittedDeadLetter:
    """A rejected message bounded to fit Kafka and the table.

    ``value``, ``key`` and ``headers`` are what is kept of the original;
    ``original_size`` and ``sha256`` describe the whole original value
    (None without a value), ``original_key_size`` the whole key, and
    ``headers_dropped`` counts the original headers left out. ``truncated``
    names what was cut: such a letter cannot be re-driven as it came.
    """

    item: RejectedMessage
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    error: str
    original_size: int | None
    sha256: str | None
    original_key_size: int | None
    headers_dropped: int
    truncated: tuple[str, ...]


def fit_dead_letter(item: RejectedMessage) -> FittedDeadLetter:
    """``item`` with its value, key, headers and reason bounded."""
    value, key = item.value, item.key
    headers = _headers_within_budget(item.headers)
    truncated = tuple(
        name
        for name, cut in (
            ("value", value is not None and len(value) > MAX_VALUE_BYTES),
            ("key", key is not None and len(key) > MAX_KEY_BYTES),
            ("headers", len(headers) < len(item.headers)),
        )
        if cut
    )
    return FittedDeadLetter(
        item=item,
        key=None if key is None else bytes(key[:MAX_KEY_BYTES]),
        value=None if value is None else bytes(value[:MAX_VALUE_BYTES]),
        headers=headers,
        error=bounded_error(item.error),
        original_size=None if value is None else len(value),
        sha256=None if value is None else hashlib.sha256(value).hexdigest(),
        original_key_size=None if key is None else len(key),
        headers_dropped=len(item.headers) - len(headers),
        truncated=truncated,
    )


def bounded_error(error: str) -> str:
    """The reason, at most ``MAX_ERROR_CHARS`` characters and without NUL
    (which PostgreSQL text cannot hold)."""
    error = error.replace("\x00", "\ufffd")
    if len(error) <= MAX_ERROR_CHARS:
        return error
    return error[: MAX_ERROR_CHARS - len(ELLIPSIS)] + ELLIPSIS


def _headers_within_budget(headers) -> tuple[tuple[str, bytes], ...]:
    """The leading headers whose total cost fits ``MAX_HEADERS_BYTES``."""
    kept, spent = [], 0
    for name, value in headers:
        spent += len(name.encode()) + len(value or b"") + HEADER_OVERHEAD
        if spent > MAX_HEADERS_BYTES:
            break
        kept.append((name, value))
    return tuple(kept)


def dead_letter_headers(letter: FittedDeadLetter) -> list[tuple[str, bytes]]:
    """The kept original headers plus where the message came from, why it
    was rejected, when, and what of it was cut."""
    return list(letter.headers) + deadletter_only_headers(letter)


def deadletter_only_headers(letter: FittedDeadLetter) -> list[tuple[str, bytes]]:
    """The ``deadletter.*`` headers alone: with no key or value, the
    minimal form of a dead letter, produced when Kafka refuses the full
    one."""
    item = letter.item
    headers = [
        ("deadletter.error", letter.error.encode()),
        ("deadletter.topic", item.topic.encode()),
        ("deadletter.partition", str(item.partition).encode()),
        ("deadletter.offset", str(item.offset).encode()),
        ("deadletter.time", item.received_at.isoformat().encode()),
    ]
    if letter.original_size is not None:
        headers.append(("deadletter.original-size", str(letter.original_size).encode()))
        headers.append(("deadletter.sha256", letter.sha256.encode()))
    if letter.truncated:
        headers.append(("deadletter.truncated", ",".join(letter.truncated).encode()))
    if "key" in letter.truncated:
        size = str(letter.original_key_size).encode()
        headers.append(("deadletter.original-key-size", size))
    if letter.headers_dropped:
        dropped = str(letter.headers_dropped).encode()
        headers.append(("deadletter.headers-dropped", dropped))
    return headers


def dead_letter_message(topic: str, item: RejectedMessage) -> Outgoing:
    """``item`` fitted, as a message for the dead-letter topic, with its
    minimal form to fall back on if Kafka still refuses it."""
    letter = fit_dead_letter(item)
    minimal = Outgoing(
        topic,
        key=None,
        value=None,
        headers=deadletter_only_headers(letter) + [MINIMAL_FORM_HEADER],
        required=False,
    )
    return Outgoing(
        topic,
        key=letter.key,
        value=letter.value,
        headers=dead_letter_headers(letter),
        fallback=minimal,
    )
