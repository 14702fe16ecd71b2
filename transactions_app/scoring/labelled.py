"""A labelled file as transactions with their truth: the files ``evaluate``
reads (JSON lines in the wire format, labels ``transaction_id,is_fraud``),
decoded with the detector's own validation, so a row the detector would
refuse is not trained on either."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..detection import Transaction
from ..simulation.datasets import DatasetError, read_labels, read_messages
from ..streaming.codec import EventTimeBounds, InvalidMessage, decode_transaction
from ..streaming.records import MessageOrigin

# History is trained on whenever it happened: event times are not held to
# the detector's bounds around its clock.
HISTORY = EventTimeBounds(ahead=timedelta(days=36_500), behind=timedelta(days=36_500))


@dataclass(frozen=True, slots=True)
class LabelledTransaction:
    """A transaction of a history and its truth; ``is_fraud`` None when it
    has none (a case nobody decided yet): it feeds the state the features
    read, and is no training row."""

    transaction: Transaction
    is_fraud: bool | None


@dataclass(slots=True)
class Reading:
    """What reading a labelled history met: the messages refused (as the
    detector would refuse them, skipped) and the transactions without a
    label (history for the features, no training row)."""

    refused: int = 0
    unlabelled: int = 0


def labelled_transactions(
    dataset: Path,
    labels: Path,
    *,
    drop_fields: tuple[str, ...] = (),
    reading: Reading | None = None,
) -> Iterator[LabelledTransaction]:
    """The transactions of ``dataset`` in file order with their labels;
    raises ``DatasetError`` for a file that cannot be read. A message the
    detector would refuse is counted in ``reading`` and skipped; one
    without a label is counted and given as history only (None)."""
    truth = read_labels(labels)
    reading = reading if reading is not None else Reading()
    now = datetime.now(UTC)
    for number, message in enumerate(
        read_messages(dataset, drop_fields=drop_fields), start=1
    ):
        label = truth.get(message.transaction_id)
        origin = MessageOrigin(f"file:{dataset.name}", 0, number, now)
        try:
            transaction = decode_transaction(
                message.value, origin, now=now, bounds=HISTORY
            )
        except InvalidMessage:
            reading.refused += 1
            continue
        if label is None:
            reading.unlabelled += 1
        yield LabelledTransaction(
            transaction, None if label is None else label.is_fraud
        )


__all__ = ["DatasetError", "LabelledTransaction", "Reading", "labelled_transactions"]
