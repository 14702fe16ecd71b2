"""``manage.py trainmodel``: train the learned score on a labelled file,
record it as a model version (with what its validation measured), and
optionally write it to a file or put it in force."""

import time
from datetime import UTC, datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from transactions_app.management.arguments import iso_time
from transactions_app.scoring.decisions import decided_history, stored_since
from transactions_app.scoring.labelled import (
    DatasetError,
    Reading,
    labelled_transactions,
)
from transactions_app.scoring.services import (
    ModelChangeRefused,
    model_version_approve,
    model_version_record,
)
from transactions_app.scoring.training import TrainingError, train, training_rows


class Command(BaseCommand):
    help = (
        "Train the learned score on the analysts' decisions in the database, "
        "or on a labelled file (the format of evaluate): "
        "gradient-boosted trees on the features the detector computes, grown "
        "on the history before --until (by default the first 60% of its "
        "time span), validated on the rest, in time order. Records it as the "
        "next model version, waiting for approval in admin (--activate puts "
        "it in force when four-eyes approval is off), prints the validation, "
        "and with --output writes it to a file too."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dataset",
            type=Path,
            help="Messages: JSON lines in the wire format, each with a "
            "transaction_id (gzip when the name ends in .gz). Without it, the "
            "stored transactions of the last --days with the analysts' "
            "decisions are trained on.",
        )
        parser.add_argument(
            "--labels",
            type=Path,
            help="With --dataset: CSV transaction_id,is_fraud[,case].",
        )
        parser.add_argument(
            "--days",
            type=int,
            default=90,
            help="Without --dataset: the days of stored history trained on "
            "(default 90): confirmed fraud is fraud, false positives and "
            "transactions never flagged are legit, open cases only history.",
        )
        parser.add_argument(
            "--until",
            type=iso_time("--until"),
            help="Train on the history before this time (ISO 8601); the rest "
            "validates.",
        )
        parser.add_argument(
            "--drop-field",
            action="append",
            default=[],
            metavar="FIELD",
            help="Leave this field out of every message (repeatable).",
        )
        parser.add_argument(
            "--output",
            type=Path,
            metavar="FILE",
            help="Also write the trained model to this file.",
        )
        parser.add_argument(
            "--activate",
            action="store_true",
            help="Put the model in force at once (only when four-eyes approval, "
            "RULES_FOUR_EYES, is off; otherwise a second person approves it "
            "in admin).",
        )
        parser.add_argument(
            "--author",
            metavar="USERNAME",
            help="The user recorded as having trained it (default: the command line).",
        )
        parser.add_argument(
            "--note", default="", help="A change note kept with the version."
        )

    def handle(self, *args, dataset, labels, until, drop_field, output, **options):
        if (dataset is None) != (labels is None):
            raise CommandError("--dataset and --labels go together")
        if options["days"] < 1:
            raise CommandError("--days must be at least 1")
        started = time.monotonic()
        author = _user(options["author"])
        reading = Reading()
        if dataset is None:
            stored = stored_since(options["days"], timezone.now())
            history = decided_history(stored, reading)
            source = f"decisions of the last {options['days']} days"
        else:
            history = labelled_transactions(
                dataset, labels, drop_fields=tuple(drop_field), reading=reading
            )
            source = f"file {dataset.name}"
        try:
            rows = training_rows(history)
            model = train(rows, until=None if until is None else until.timestamp())
        except (DatasetError, TrainingError) as error:
            raise CommandError(str(error)) from error
        version = model_version_record(
            model=model,
            source=source,
            author=author,
            note=options["note"],
        )
        if output is not None:
            output.write_bytes(model.to_bytes())
        self._report(model, rows, reading, output, time.monotonic() - started)
        if options["activate"]:
            self._activate(version)
        else:
            self.stdout.write(
                f"recorded as model v{version.number}, waiting for approval"
            )

    def _activate(self, version) -> None:
        try:
            model_version_approve(version=version, approver=None)
        except ModelChangeRefused as error:
            raise CommandError(
                f"recorded as model v{version.number} but not put in force: {error}"
            ) from error
        self.stdout.write(f"recorded as model v{version.number}, in force")

    def _report(self, model, rows, reading, output, seconds) -> None:
        window = model.training
        until = datetime.fromtimestamp(window["until"], UTC).isoformat()
        self.stdout.write(
            f"{len(rows)} labelled transactions ({reading.refused} refused, "
            f"{reading.unlabelled} without a label, history only); trained on "
            f"{window['rows']} before {until} ({window['fraud']} fraud), "
            f"{len(model.features)} features, in {seconds:.1f} s"
            + ("" if output is None else f"; written to {output}")
        )
        metrics = model.metrics
        if not metrics:
            self.stdout.write("nothing after --until to validate on")
            return
        self.stdout.write(
            f"validation on {metrics['rows']} later transactions "
            f"({metrics['fraud']} fraud):"
        )
        for name in ("average_precision", "precision", "recall"):
            self.stdout.write(f"  {name.replace('_', ' ')}: {_figure(metrics[name])}")
        rate = metrics["false_positive_rate"]
        self.stdout.write(
            "  false-positive rate: "
            + ("n/a" if rate is None else f"{rate:.2%}")
            + " (flagged at a probability of 0.5 or more)"
        )


def _user(username: str | None):
    """The user named by ``--author`` (None: the command line)."""
    if username is None:
        return None
    try:
        return get_user_model().objects.get_by_natural_key(username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"--author: there is no user {username!r}") from None


def _figure(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"
