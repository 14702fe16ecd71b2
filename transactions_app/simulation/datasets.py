"""Labelled data a user brings: messages in the wire format, one JSON
object a line, and a CSV of labels (``transaction_id,is_fraud[,case]``),
either file gzip-compressed when its name ends in ``.gz``.

This is what ``manage.py evaluate --dataset FILE --labels FILE`` reads to
measure detection on traffic the project did not write. A message is sent
as it is in the file (so what the detector sees is what the file says),
except for the fields a user asks to leave out (to measure without an
optional field) and, when asked, event times shifted by one offset so the
newest lands at the present.
"""

import csv
import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import orjson

from ..detection.clock import utc_moment
from ..streaming.codec import encode_transaction
from .generator import Labelled

LABEL_COLUMNS = ("transaction_id", "is_fraud")


class DatasetError(ValueError):
    """A dataset or labels file that cannot be read; the text names the
    file and the line."""


@dataclass(frozen=True, slots=True)
class Label:
    """The truth about one transaction: whether it is fraud, and the case
    (the attack episode) it belongs to, empty for legitimate ones or when
    the file names none (each fraud is then its own case)."""

    is_fraud: bool
    case: str = ""


@dataclass(frozen=True, slots=True)
class DatasetMessage:
    """One line of a dataset, ready to produce: keyed by its source, as the
    platform's producers key."""

    transaction_id: str
    key: bytes
    value: bytes


def open_text(path: Path) -> io.TextIOBase:
    """``path`` opened for reading text, through gzip when it ends in .gz."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def read_labels(path: Path) -> dict[str, Label]:
    """Every label in ``path`` by transaction id; raises ``DatasetError``
    for a missing column, an ``is_fraud`` other than 0 or 1, or a
    transaction labelled twice."""
    with _reading(path) as lines:
        reader = csv.DictReader(lines)
        missing = [c for c in LABEL_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise DatasetError(f"{path}: no column {', '.join(missing)} in the header")
        labels: dict[str, Label] = {}
        for row in reader:
            labels.update([_label(path, reader.line_num, row, labels)])
    return labels


def _label(path: Path, line: int, row: dict, seen: dict) -> tuple[str, Label]:
    transaction_id = (row["transaction_id"] or "").strip()
    flag = (row["is_fraud"] or "").strip()
    if flag not in ("0", "1"):
        raise DatasetError(f"{path}:{line}: is_fraud must be 0 or 1, got {flag!r}")
    if not transaction_id or transaction_id in seen:
        raise DatasetError(f"{path}:{line}: transaction_id missing or repeated")
    return transaction_id, Label(flag == "1", (row.get("case") or "").strip())


def read_messages(
    path: Path, *, drop_fields: tuple[str, ...] = (), shift: timedelta | None = None
) -> Iterator[DatasetMessage]:
    """The messages of ``path`` in file order. Each must be a JSON object
    with a ``transaction_id`` (to be matched with its label) and a
    ``source`` (its key); ``drop_fields`` are removed, and ``shift`` is
    added to every ``timestamp``. Raises ``DatasetError`` naming the line
    otherwise; whether a message is valid beyond that is for the detector
    to say (an invalid one becomes a dead letter, as in production)."""
    with _reading(path) as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield _message(path, number, line, drop_fields, shift)


def _message(path, number, line, drop_fields, shift) -> DatasetMessage:
    document = _document(path, number, line)
    transaction_id, source = document.get("transaction_id"), document.get("source")
    if not isinstance(transaction_id, str) or not isinstance(source, str):
        raise DatasetError(f"{path}:{number}: transaction_id and source are needed")
    changed = bool(drop_fields) or shift is not None
    for name in drop_fields:
        document.pop(name, None)
    if shift is not None and "timestamp" in document:
        moment = _moment(path, number, document["timestamp"]) + shift
        document["timestamp"] = moment.isoformat().replace("+00:00", "Z")
    value = orjson.dumps(document) if changed else line.strip().encode()
    return DatasetMessage(transaction_id, source.encode(), value)


def newest_timestamp(path: Path) -> datetime | None:
    """The latest event time in ``path`` (None when no message has one):
    what ``--shift-to-now`` moves to the present."""
    newest = None
    with _reading(path) as lines:
        for number, line in enumerate(lines, start=1):
            stamp = _document(path, number, line).get("timestamp")
            if stamp is not None:
                moment = _moment(path, number, stamp)
                newest = moment if newest is None else max(newest, moment)
    return newest


def _document(path, number, line) -> dict:
    if not line.strip():
        return {}
    try:
        document = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        raise DatasetError(f"{path}:{number}: not JSON ({error})") from None
    if not isinstance(document, dict):
        raise DatasetError(f"{path}:{number}: not a JSON object")
    return document


def _moment(path, number, value) -> datetime:
    """An ISO 8601 event time as an aware UTC datetime (naive ones are
    taken as UTC, as the wire format does)."""
    try:
        return utc_moment(str(value))
    except (ValueError, OverflowError):
        raise DatasetError(f"{path}:{number}: timestamp {value!r} unreadable") from None


class _reading:
    """``open_text(path)`` as a context manager whose failures to open or
    decompress are ``DatasetError``s naming the file."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def __enter__(self):
        try:
            self._file = open_text(self._path)
        except OSError as error:
            raise DatasetError(f"{self._path}: {error.strerror or error}") from None
        return self._lines()

    def _lines(self):
        try:
            yield from self._file
        except (OSError, EOFError, UnicodeDecodeError) as error:
            raise DatasetError(f"{self._path}: unreadable ({error})") from None

    def __exit__(self, *exc) -> None:
        self._file.close()


# Labels of generated transactions that are not fraud.
NOT_FRAUD = frozenset({"", "legit", "warmup"})


def newest_event_time(generate: Callable[[], Labelled], count: int) -> datetime:
    """The latest event time of ``count`` generated transactions."""
    return max(generate().transaction.timestamp for _ in range(count))


def write_dataset(
    generate: Callable[[], Labelled],
    count: int,
    dataset: Path,
    labels: Path,
    *,
    shift: timedelta | None = None,
) -> int:
    """Write ``count`` generated transactions to ``dataset`` (JSON lines in
    the wire format; gzip when the name ends in .gz), each event time moved
    by ``shift``, and their truth to ``labels``
    (``transaction_id,is_fraud,case``, the episode as the case): the files
    ``evaluate --dataset`` and ``trainmodel`` read. Returns how many were
    fraud."""
    fraud = 0
    with _writing(dataset) as messages, _writing(labels) as truth:
        writer = csv.writer(truth, lineterminator="\n")
        writer.writerow(LABEL_COLUMNS + ("case",))
        for _ in range(count):
            item = generate()
            is_fraud = item.label not in NOT_FRAUD
            fraud += is_fraud
            transaction = item.transaction
            if shift is not None:
                transaction = replace(
                    transaction, timestamp=transaction.timestamp + shift
                )
            messages.write(encode_transaction(transaction).decode() + "\n")
            writer.writerow(
                (item.transaction.transaction_id, int(is_fraud), item.episode)
            )
    return fraud


def _writing(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return gzip.open(path, "wt", encoding="utf-8", newline="")
    return path.open("w", encoding="utf-8", newline="")
