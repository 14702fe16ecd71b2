"""Fitting a dead letter: every limit at and just past it, and the worst case
the broker accepts, measured against the producer's own size check."""

import hashlib
from datetime import UTC, datetime

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer

from transactions_app.streaming.deadletters import (
    HEADER_OVERHEAD,
    MAX_ERROR_CHARS,
    MAX_HEADERS_BYTES,
    MAX_KEY_BYTES,
    MAX_VALUE_BYTES,
    dead_letter_headers,
    dead_letter_message,
    fit_dead_letter,
)
from transactions_app.streaming.kafka import MAX_MESSAGE_BYTES as PRODUCER_LIMIT
from transactions_app.streaming.records import RejectedMessage

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BROKER_LIMIT = 2 * 1024 * 1024  # message.max.bytes in server.properties


def rejected(value=b"v", key=b"k", headers=(), error="not JSON"):
    return RejectedMessage(
        topic="in",
        partition=2,
        offset=7,
        key=key,
        value=value,
        headers=tuple(headers),
        error=error,
        received_at=NOW,
    )


def headers_costing(total: int, count: int = 4) -> list[tuple[str, bytes]]:
    """``count`` headers whose cost adds up to exactly ``total``."""
    each = total // count - HEADER_OVERHEAD - 1  # a one-character name
    headers = [(f"h{i}"[:1], b"x" * each) for i in range(count - 1)]
    spent = sum(len(n) + len(v) + HEADER_OVERHEAD for n, v in headers)
    headers.append(("z", b"x" * (total - spent - HEADER_OVERHEAD - 1)))
    return headers


def test_a_value_at_the_validation_limit_is_kept_whole():
    value = b"x" * MAX_VALUE_BYTES
    letter = fit_dead_letter(rejected(value=value))
    assert letter.value == value
    assert letter.truncated == ()
    assert letter.original_size == 65_536
    assert letter.sha256 == hashlib.sha256(value).hexdigest()
    assert "deadletter.truncated" not in dict(dead_letter_headers(letter))


def test_a_value_just_past_the_validation_limit_is_cut_with_size_and_digest():
    value = b"x" * MAX_VALUE_BYTES + b"y"
    letter = fit_dead_letter(rejected(value=value))
    assert letter.value == b"x" * 65_536
    assert letter.truncated == ("value",)
    headers = dict(dead_letter_headers(letter))
    assert headers["deadletter.truncated"] == b"value"
    assert headers["deadletter.original-size"] == b"65537"
    assert headers["deadletter.sha256"] == hashlib.sha256(value).hexdigest().encode()


def test_a_key_at_its_bound_is_kept_and_one_byte_more_is_cut():
    whole = fit_dead_letter(rejected(key=b"k" * MAX_KEY_BYTES))
    assert (whole.key, whole.truncated) == (b"k" * 4096, ())
    cut = fit_dead_letter(rejected(key=b"k" * (MAX_KEY_BYTES + 1)))
    assert (cut.key, cut.truncated) == (b"k" * 4096, ("key",))
    assert dict(dead_letter_headers(cut))["deadletter.original-key-size"] == b"4097"


def test_headers_within_the_budget_are_kept_the_rest_dropped_and_counted():
    at_budget = headers_costing(MAX_HEADERS_BYTES)
    kept = fit_dead_letter(rejected(headers=at_budget))
    assert list(kept.headers) == at_budget
    assert (kept.headers_dropped, kept.truncated) == (0, ())
    over = at_budget[:-1] + [(at_budget[-1][0], at_budget[-1][1] + b"x"), ("a", b"")]
    cut = fit_dead_letter(rejected(headers=over))
    assert list(cut.headers) == at_budget[:-1]
    assert (cut.headers_dropped, cut.truncated) == (2, ("headers",))
    assert dict(dead_letter_headers(cut))["deadletter.headers-dropped"] == b"2"


def test_the_reason_is_bounded_and_holds_no_nul():
    assert fit_dead_letter(rejected(error="e" * MAX_ERROR_CHARS)).error == "e" * 1000
    long = fit_dead_letter(rejected(error="e" * (MAX_ERROR_CHARS + 1))).error
    assert len(long) == MAX_ERROR_CHARS and long.endswith("…")
    assert fit_dead_letter(rejected(error="a\x00b")).error == "a\ufffdb"


def test_no_key_and_no_value_stay_none():
    letter = fit_dead_letter(rejected(value=None, key=None))
    assert (letter.key, letter.value, letter.truncated) == (None, None, ())
    assert "deadletter.original-size" not in dict(dead_letter_headers(letter))


def worst_cases():
    """Messages the broker accepts (2 MiB in all), each maximal in one way."""
    return {
        "value": rejected(value=b"v" * BROKER_LIMIT),
        "key": rejected(key=b"k" * BROKER_LIMIT),
        "one large header": rejected(headers=[("h", b"x" * BROKER_LIMIT)]),
        "many tiny headers": rejected(headers=[("h", b"")] * (BROKER_LIMIT // 4)),
        "a long reason": rejected(error="e" * BROKER_LIMIT),
        "all at once": rejected(
            value=b"v" * (BROKER_LIMIT // 3),
            key=b"k" * (BROKER_LIMIT // 3),
            headers=[("h" * 200, b"x" * 200)] * (BROKER_LIMIT // 1200),
            error="\U0001f4a5" * BROKER_LIMIT,
        ),
    }


def local_producer(limit: int) -> Producer:
    """A producer that never connects: ``produce`` checks the size limit
    locally, before any broker is involved."""
    return Producer({"message.max.bytes": limit, "log_level": 0})


@pytest.mark.parametrize("case", list(worst_cases()))
def test_the_worst_case_the_broker_accepts_stays_well_under_the_producer_limit(case):
    """Whatever the broker accepted, the fitted dead letter passes the
    producer's size check with a twentieth of the producer's limit."""
    outgoing = dead_letter_message("dead", worst_cases()[case])
    producer = local_producer(PRODUCER_LIMIT // 20)
    producer.produce(
        "dead", key=outgoing.key, value=outgoing.value, headers=outgoing.headers
    )
    producer.purge()


def test_the_message_of_the_issue_as_it_came_exceeds_the_producer_limit():
    """Why fitting is needed: 2,097,000 bytes plus the dead-letter headers
    are refused by the producer; fitted, they are not."""
    item = rejected(value=b"x" * 2_097_000)
    producer = local_producer(PRODUCER_LIMIT)
    with pytest.raises(KafkaException) as refused:
        producer.produce(
            "dead",
            key=item.key,
            value=item.value,
            headers=dead_letter_headers(fit_dead_letter(item)),
        )
    assert refused.value.args[0].code() == KafkaError.MSG_SIZE_TOO_LARGE
    outgoing = dead_letter_message("dead", item)
    producer.produce(
        "dead", key=outgoing.key, value=outgoing.value, headers=outgoing.headers
    )
    producer.purge()


def test_the_minimal_form_keeps_only_the_dead_letter_headers():
    item = rejected(value=b"v" * 70_000, key=b"k", headers=[("trace", b"1")])
    minimal = dead_letter_message("dead", item).fallback
    assert (minimal.key, minimal.value, minimal.fallback) == (None, None, None)
    assert not minimal.required
    names = [name for name, _ in minimal.headers]
    assert all(name.startswith("deadletter.") for name in names)
    assert {"deadletter.error", "deadletter.offset", "deadletter.sha256"} <= set(names)
    assert dict(minimal.headers)["deadletter.original-size"] == b"70000"
