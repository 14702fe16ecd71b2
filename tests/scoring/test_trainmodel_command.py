"""``manage.py trainmodel`` on a labelled file: the model recorded as a
version (and written, if asked), its validation printed, put in force only
as four-eyes approval allows, bad arguments named."""

import gzip
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.scoring.stream import labelled_stream
from transactions_app.models import ModelVersion
from transactions_app.scoring.artefact import TrainedModel
from transactions_app.streaming.codec import encode_transaction

pytestmark = pytest.mark.django_db


def write_history(tmp_path, count: int, fraud_share: float = 0.05, keep=False):
    """A labelled history of ``count`` transactions, as ``evaluate`` reads
    one; with ``keep``, the labelled items too."""
    dataset, labels = tmp_path / "history.jsonl.gz", tmp_path / "labels.csv"
    items = list(labelled_stream(count, fraud_share))
    with gzip.open(dataset, "wb") as out:
        out.writelines(encode_transaction(i.transaction) + b"\n" for i in items)
    labels.write_text(
        "transaction_id,is_fraud\n"
        + "".join(f"{i.transaction.transaction_id},{int(i.is_fraud)}\n" for i in items)
    )
    return (dataset, labels, items) if keep else (dataset, labels)


def train(*arguments) -> str:
    out = StringIO()
    call_command("trainmodel", *arguments, stdout=out)
    return out.getvalue()


def test_a_model_is_trained_written_and_validated(tmp_path):
    dataset, labels = write_history(tmp_path, 8000)
    output = tmp_path / "model.json"
    printed = train(
        "--dataset", str(dataset), "--labels", str(labels), "--output", str(output)
    )
    model = TrainedModel.from_bytes(output.read_bytes())
    assert "8000 labelled transactions (0 refused, 0 without a label" in printed
    assert "validation on" in printed and "average precision: " in printed
    assert model.metrics["average_precision"] > 0.5
    version = ModelVersion.objects.get()
    assert "recorded as model v1, waiting for approval" in printed
    assert (version.status, version.source) == ("pending", "file history.jsonl.gz")
    assert bytes(version.artefact) == output.read_bytes()


def test_activate_puts_it_in_force_when_one_person_may(tmp_path, settings):
    settings.RULES_FOUR_EYES = False
    dataset, labels = write_history(tmp_path, 3000)
    printed = train("--dataset", str(dataset), "--labels", str(labels), "--activate")
    assert "recorded as model v1, in force" in printed
    assert ModelVersion.objects.get().status == "live"


def test_activate_is_refused_under_four_eyes_and_the_version_kept(
    tmp_path, settings, django_user_model
):
    settings.RULES_FOUR_EYES = True
    django_user_model.objects.create_user("carol", password="x")
    dataset, labels = write_history(tmp_path, 3000)
    with pytest.raises(CommandError, match="needs a second person's approval"):
        train(
            "--dataset",
            str(dataset),
            "--labels",
            str(labels),
            "--activate",
            "--author",
            "carol",
            "--note",
            "weekly",
        )
    version = ModelVersion.objects.get()
    assert (version.status, version.author.username, version.note) == (
        "pending",
        "carol",
        "weekly",
    )


def test_an_unknown_author_is_named_before_training(tmp_path):
    with pytest.raises(CommandError, match="there is no user 'nobody'"):
        train("--dataset", "x", "--labels", "y", "--author", "nobody")


def test_an_until_that_is_not_a_time_is_named(tmp_path):
    with pytest.raises(CommandError, match="--until is not an ISO 8601 time"):
        train("--dataset", "x", "--labels", "y", "--output", "z", "--until", "soon")


def test_history_without_fraud_says_why(tmp_path):
    dataset, labels = write_history(tmp_path, 500, fraud_share=0.0)
    with pytest.raises(CommandError, match="needs both fraud and legit"):
        train(
            "--dataset",
            str(dataset),
            "--labels",
            str(labels),
            "--output",
            str(tmp_path / "m"),
        )


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CommandError, match="nothing.csv: No such file"):
        train(
            "--dataset",
            str(tmp_path / "nothing.jsonl"),
            "--labels",
            str(tmp_path / "nothing.csv"),
            "--output",
            str(tmp_path / "m"),
        )


def test_without_a_file_it_trains_on_the_decisions_in_the_database():
    from tests.scoring.test_decisions import store_decided_history

    store_decided_history(6000)
    printed = train("--days", "3650", "--note", "from the cases")
    assert "5999 labelled transactions (0 refused, 1 without a label" in printed
    assert "recorded as model v1, waiting for approval" in printed
    version = ModelVersion.objects.get()
    assert (version.source, version.note) == (
        "decisions of the last 3650 days",
        "from the cases",
    )


def test_a_dataset_without_labels_is_named():
    with pytest.raises(CommandError, match="--dataset and --labels go together"):
        train("--dataset", "x.jsonl")
