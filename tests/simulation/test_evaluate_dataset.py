"""``evaluate --dataset --labels``: a labelled file of the user's own,
through Kafka and two real detector loops (the rules in force, and the
tutorial's rule alone), with the figures side by side."""

import gzip
import re
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from django.core.management import CommandError, call_command

from transactions_app.streaming.kafka import MAX_MESSAGE_BYTES

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_rules"),
]

# Years before the detector's clock: sent as they are, every message would
# be a dead letter (event time too old); --shift-to-now brings them back.
START = datetime(2020, 3, 1, tzinfo=UTC)


def message(n: int, source: str, amount, **extra) -> dict:
    return {
        "transaction_id": str(uuid.UUID(int=n)),
        "source": source,
        "target": f"shop-{n % 7}",
        "amount": amount,
        "currency": "EUR",
        "timestamp": (START + timedelta(minutes=17 * n)).isoformat(),
        "merchant_category": "grocery_pos",
    } | extra


def write_dataset(tmp_path, rows: list[tuple[dict, int, str]]):
    """``rows`` of (message, is_fraud, case) as a gzip dataset and labels."""
    dataset, labels = tmp_path / "d.jsonl.gz", tmp_path / "labels.csv"
    dataset.write_bytes(gzip.compress(b"\n".join(orjson.dumps(m) for m, _, _ in rows)))
    labels.write_text(
        "transaction_id,is_fraud,case\n"
        + "".join(f"{m['transaction_id']},{f},{c}\n" for m, f, c in rows)
    )
    return dataset, labels


def column(out: str, row: str) -> list[str]:
    return re.search(rf"^\| {row} \| (.*) \|$", out, re.M).group(1).split(" | ")


def test_a_labelled_file_is_measured_beside_the_tutorial_rule(tmp_path, capsys):
    legit = [(message(n, f"card-{n % 20}", 10 + n % 40), 0, "") for n in range(200)]
    fraud = [
        (message(300, "card-3", 950), 1, "c-a"),
        (message(301, "card-3", 50), 1, "c-a"),
        (message(302, "card-4", 1200), 1, "c-b"),
        (message(303, "card-5", -5), 1, "c-c"),  # invalid: a dead letter
    ]
    dataset, labels = write_dataset(tmp_path, legit + fraud)
    plot = tmp_path / "quality.png"
    call_command(
        "evaluate",
        dataset=dataset,
        labels=labels,
        drop_field=["merchant_category"],
        shift_to_now=True,
        plot=plot,
        partitions=1,  # the file's order, as live traffic arrives
    )
    out = capsys.readouterr().out
    assert "| | rules in force | tutorial rule |" in out
    assert column(out, "precision")[1] == "1.000"
    assert column(out, "recall \\(transactions\\)")[1] == "0.500"
    assert column(out, "cases caught")[1] == "2 of 3"
    assert column(out, "legit flagged")[1] == "0 of 200"
    tutorial = out[out.index("tutorial rule: label") :]
    assert "| fraud | 1 | 0 | 2 | 1 |" in tutorial
    assert "| legit | 200 | 0 | 0 | 0 |" in tutorial
    assert "204 messages" in out and "event times shifted by" in out
    assert "through Kafka (1 partition) and 2 detectors" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plot.stat().st_size > 20_000  # two panels drawn, not an empty canvas


def test_messages_without_labels_are_an_error(tmp_path):
    dataset, labels = write_dataset(
        tmp_path, [(message(n, "card-1", 20, timestamp=None), 0, "") for n in range(3)]
    )
    labels.write_text("transaction_id,is_fraud\n" + str(uuid.UUID(int=0)) + ",0\n")
    with pytest.raises(CommandError, match="2 transactions have no label"):
        call_command("evaluate", dataset=dataset, labels=labels)


def test_a_message_too_large_for_kafka_is_named(tmp_path):
    """A line larger than the producer may send (2 MiB, the brokers' limit)
    stops the replay with its transaction id, not a traceback."""
    huge = message(1, "card-1", 20, note="x" * MAX_MESSAGE_BYTES)
    dataset, labels = write_dataset(tmp_path, [(huge, 0, "")])
    with pytest.raises(
        CommandError, match=f"refused transaction {huge['transaction_id']}"
    ):
        call_command("evaluate", dataset=dataset, labels=labels)


def test_the_replay_needs_at_least_one_partition():
    for value in ("0", "-2", "two"):
        with pytest.raises(CommandError, match="--partitions must be a whole number"):
            call_command("evaluate", "--partitions", value)


def test_a_dataset_needs_its_labels_and_a_plot_its_dataset():
    with pytest.raises(CommandError, match="--dataset and --labels go together"):
        call_command("evaluate", dataset="somewhere.jsonl")
    with pytest.raises(CommandError, match="--plot goes with --dataset"):
        call_command("evaluate", plot="quality.png")


def test_a_model_is_measured_beside_the_rules_after_its_training_window(
    tmp_path, capsys, settings
):
    """With --model, the rules in force and the tutorial's rule run each
    alone and each with the model beside them, over the same messages; only
    the period after the model's training window counts, and the plot
    draws every run's curve."""
    from tests.scoring.test_trainmodel_command import write_history

    settings.RULES_FOUR_EYES = False
    history, labels = write_history(tmp_path, 5000)
    model = tmp_path / "model.json"
    call_command(
        "trainmodel",
        dataset=history,
        labels=labels,
        output=model,
        stdout=open(tmp_path / "trained.txt", "w"),  # noqa: SIM115
    )
    plot = tmp_path / "with-model.png"
    # One partition: every detector reads the messages in the same order, so
    # the model alone scores each run alike (from several, the receivers'
    # features differ with how the partitions interleave in each run).
    call_command(
        "evaluate",
        dataset=history,
        labels=labels,
        model=str(model),
        plot=plot,
        partitions=1,
    )
    out = capsys.readouterr().out
    assert (
        "| | rules in force | rules in force + the model | tutorial rule "
        "| tutorial rule + the model |" in out
    )
    assert "measured on the transactions at or after " in out
    alone = column(out, "average precision of the model alone")
    assert alone[0] == alone[2] == "-"
    assert float(alone[1]) == float(alone[3]) > 0.5
    fraud = [int(cell.split(" of ")[1]) for cell in column(out, "fraud flagged")]
    assert len(set(fraud)) == 1 and 0 < fraud[0] < 0.05 * 5000  # the later part
    assert plot.stat().st_size > 10_000


def test_a_model_that_is_not_one_is_named(tmp_path):
    dataset, labels = write_dataset(tmp_path, [(message(1, "card-1", 10), 0, "")])
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(CommandError, match="--model .*bad.json: not a trained model"):
        call_command(
            "evaluate", dataset=dataset, labels=labels, model=str(tmp_path / "bad.json")
        )
    with pytest.raises(CommandError, match="--model 7: no such model version"):
        call_command("evaluate", dataset=dataset, labels=labels, model="7")
