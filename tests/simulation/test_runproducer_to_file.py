"""runproducer --to-file: a labelled history written to files that
evaluate --dataset and trainmodel read, its event times ending now."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from transactions_app.simulation.datasets import read_labels, read_messages
from transactions_app.streaming.codec import decode_transaction
from transactions_app.streaming.records import MessageOrigin


def write(tmp_path, **options):
    dataset, labels = tmp_path / "history.jsonl.gz", tmp_path / "labels.csv"
    err = StringIO()
    call_command(
        "runproducer",
        to_file=dataset,
        labels_file=labels,
        stderr=err,
        **options,
    )
    return dataset, labels, err.getvalue()


def test_a_labelled_history_is_written(tmp_path):
    dataset, labels, said = write(
        tmp_path, count=3000, seed=3, rate="0.07", fraud_share=0.05
    )
    truth = read_labels(labels)
    messages = list(read_messages(dataset))
    assert [m.transaction_id for m in messages] == list(truth)
    fraud = [label for label in truth.values() if label.is_fraud]
    assert len(fraud) > 50 and all(label.case for label in fraud)
    assert not any(label.case for label in truth.values() if not label.is_fraud)
    assert f"wrote 3000 transactions ({len(fraud)} fraud)" in said
    now = datetime.now(UTC)
    origin = MessageOrigin("file", 0, 0, now)
    times = [decode_transaction(m.value, origin, now=now).timestamp for m in messages]
    # the newest event is now, whatever the hour of day the profile's pace
    # follows and however far its fraud episodes run ahead of it
    assert now - timedelta(minutes=1) < max(times) <= now
    assert max(times) - min(times) > timedelta(hours=10)  # 3000 at 0.07 a second


def test_the_same_seed_writes_the_same_history(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write(tmp_path / "a", count=200, seed=9)
    second = write(tmp_path / "b", count=200, seed=9)
    assert first[1].read_text() == second[1].read_text()


def test_files_need_each_other_and_a_count(tmp_path):
    with pytest.raises(CommandError, match="--to-file and --labels-file go together"):
        call_command("runproducer", to_file=tmp_path / "x.jsonl", count=5)
    with pytest.raises(CommandError, match="--to-file needs --count"):
        call_command("runproducer", to_file=tmp_path / "x", labels_file=tmp_path / "y")


def test_an_unwritable_place_is_named(tmp_path):
    with pytest.raises(CommandError, match="cannot write the dataset"):
        call_command(
            "runproducer",
            to_file=tmp_path / "missing" / "x.jsonl",
            labels_file=tmp_path / "y.csv",
            count=5,
        )
