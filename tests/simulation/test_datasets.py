"""Reading a labelled dataset: what is sent is what the file says, and a
file that cannot be read is an error naming the file and the line."""

import gzip
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from transactions_app.simulation.datasets import (
    DatasetError,
    Label,
    newest_timestamp,
    read_labels,
    read_messages,
)

LINE = (
    b'{"source":"card-1","target":"shop-1","amount":12.5,"currency":"EUR",'
    b'"timestamp":"2026-01-01T00:00:34Z","transaction_id":"t-1",'
    b'"merchant_category":"grocery_pos"}'
)


def write(path, text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    if path.suffix == ".gz":
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", ["labels.csv", "labels.csv.gz"])
def test_labels_are_read_plain_or_gzip_with_an_optional_case(tmp_path, name):
    path = write(tmp_path / name, "transaction_id,is_fraud,case\nt-1,1,c-9\nt-2,0,\n")
    assert read_labels(path) == {"t-1": Label(True, "c-9"), "t-2": Label(False, "")}


def test_a_case_column_may_be_left_out(tmp_path):
    path = write(tmp_path / "l.csv", "transaction_id,is_fraud\nt-1,1\n")
    assert read_labels(path) == {"t-1": Label(True, "")}


@pytest.mark.parametrize(
    "text, message",
    [
        ("id,is_fraud\nt-1,1\n", "no column transaction_id in the header"),
        ("transaction_id,is_fraud\nt-1,yes\n", "l.csv:2: is_fraud must be 0 or 1"),
        ("transaction_id,is_fraud\nt-1,1\nt-1,0\n", "l.csv:3: transaction_id missing"),
        ("transaction_id,is_fraud\n,1\n", "l.csv:2: transaction_id missing"),
    ],
)
def test_bad_labels_are_refused_naming_the_line(tmp_path, text, message):
    path = write(tmp_path / "l.csv", text)
    with pytest.raises(DatasetError, match=message):
        read_labels(path)


def test_a_message_is_sent_as_it_is_in_the_file_keyed_by_its_source(tmp_path):
    path = write(tmp_path / "d.jsonl.gz", LINE + b"\n\n")
    [message] = list(read_messages(path))
    assert (message.transaction_id, message.key, message.value) == (
        "t-1",
        b"card-1",
        LINE,
    )


def test_dropped_fields_are_left_out_and_times_shifted(tmp_path):
    path = write(tmp_path / "d.jsonl", LINE + b"\n")
    [message] = read_messages(
        path, drop_fields=("merchant_category",), shift=timedelta(days=2, hours=1)
    )
    document = orjson.loads(message.value)
    assert "merchant_category" not in document
    assert document["timestamp"] == "2026-01-03T01:00:34Z"
    assert document["amount"] == 12.5


@pytest.mark.parametrize(
    "line, message",
    [
        (b"{not json", "d.jsonl:2: not JSON"),
        (b"[1, 2]", "d.jsonl:2: not a JSON object"),
        (b'{"source": "a"}', "d.jsonl:2: transaction_id and source are needed"),
    ],
)
def test_a_line_that_cannot_be_sent_is_refused_naming_it(tmp_path, line, message):
    path = write(tmp_path / "d.jsonl", LINE + b"\n" + line + b"\n")
    with pytest.raises(DatasetError, match=message):
        list(read_messages(path))


def test_an_unreadable_timestamp_cannot_be_shifted(tmp_path):
    path = write(tmp_path / "d.jsonl", LINE.replace(b"2026-01-01T00:00:34Z", b"soon"))
    with pytest.raises(DatasetError, match="d.jsonl:1: timestamp 'soon' unreadable"):
        list(read_messages(path, shift=timedelta(1)))


def test_a_corrupt_or_missing_file_is_an_error_naming_it(tmp_path):
    corrupt = tmp_path / "d.jsonl.gz"
    corrupt.write_bytes(b"not gzip at all")
    with pytest.raises(DatasetError, match="d.jsonl.gz: unreadable"):
        list(read_messages(corrupt))
    with pytest.raises(DatasetError, match="nowhere.csv"):
        read_labels(tmp_path / "nowhere.csv")


def test_the_newest_event_time_is_found_whatever_the_order(tmp_path):
    later = LINE.replace(b"2026-01-01T00:00:34Z", b"2026-03-05T10:00:00+01:00")
    path = write(tmp_path / "d.jsonl", later + b"\n" + LINE + b"\n")
    assert newest_timestamp(path) == datetime(2026, 3, 5, 9, tzinfo=UTC)
