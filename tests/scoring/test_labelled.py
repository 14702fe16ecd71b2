"""Reading a labelled file for training: the detector's validation, and
what is skipped counted."""

import gzip
import json

import pytest

from transactions_app.scoring.labelled import (
    DatasetError,
    Reading,
    labelled_transactions,
)


def write(tmp_path, messages, labels):
    dataset = tmp_path / "messages.jsonl.gz"
    with gzip.open(dataset, "wt") as out:
        out.writelines(json.dumps(m) + "\n" for m in messages)
    label_file = tmp_path / "labels.csv"
    label_file.write_text(
        "transaction_id,is_fraud\n" + "".join(f"{i},{f}\n" for i, f in labels)
    )
    return dataset, label_file


def message(number: int, **fields) -> dict:
    return {
        "transaction_id": f"00000000-0000-4000-8000-{number:012d}",
        "source": "a1B2c3D4e5F6",
        "target": "Z9y8X7w6V5u4",
        "amount": 12.5,
        "currency": "EUR",
        "timestamp": "2019-01-01T10:00:00Z",  # history: any age
    } | fields


def test_history_is_read_with_its_labels_refused_and_unlabelled_counted(tmp_path):
    """A refused message is skipped; one without a label stays, as history
    for the features, with no truth."""
    messages = [message(1), message(2, amount=-3), message(3), message(4)]
    labels = [
        (m["transaction_id"], f) for m, f in zip(messages[:3], "101", strict=True)
    ]
    dataset, label_file = write(tmp_path, messages, labels)
    reading = Reading()
    items = list(labelled_transactions(dataset, label_file, reading=reading))
    assert [str(i.transaction.transaction_id)[-1] for i in items] == ["1", "3", "4"]
    assert [i.is_fraud for i in items] == [True, True, None]  # 4: history only
    assert (reading.refused, reading.unlabelled) == (1, 1)


def test_a_dropped_field_is_left_out(tmp_path):
    dataset, label_file = write(
        tmp_path,
        [message(1, merchant_category="grocery")],
        [(message(1)["transaction_id"], 0)],
    )
    [kept] = labelled_transactions(dataset, label_file)
    [dropped] = labelled_transactions(
        dataset, label_file, drop_fields=("merchant_category",)
    )
    assert (
        kept.transaction.merchant_category,
        dropped.transaction.merchant_category,
    ) == ("grocery", None)


def test_a_labels_file_without_its_columns_is_an_error(tmp_path):
    dataset, label_file = write(tmp_path, [message(1)], [])
    label_file.write_text("id,fraud\n1,0\n")
    with pytest.raises(DatasetError, match="no column"):
        list(labelled_transactions(dataset, label_file))
