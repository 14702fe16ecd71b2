"""``manage.py trainmodel``: train the learned score on a labelled file and
write the model, with what its validation measured."""

import time
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from transactions_app.detection.clock import utc_moment
from transactions_app.scoring.labelled import (
    DatasetError,
    Reading,
    labelled_transactions,
)
from transactions_app.scoring.training import TrainingError, train, training_rows


def moment(value: str) -> float:
    """An ISO 8601 time (UTC when it names no zone) as epoch seconds."""
    try:
        return utc_moment(value).timestamp()
    except (ValueError, OverflowError):
        raise CommandError(f"--until is not an ISO 8601 time: {value!r}") from None


class Command(BaseCommand):
    help = (
        "Train the learned score on a labelled file (the format of evaluate): "
        "gradient-boosted trees on the features the detector computes, grown "
        "on the history before --until (by default the first 60% of its "
        "time span), validated on the rest, in time order. Writes the model "
        "to --output and prints the validation."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dataset",
            type=Path,
            required=True,
            help="Messages: JSON lines in the wire format, each with a "
            "transaction_id (gzip when the name ends in .gz).",
        )
        parser.add_argument(
            "--labels",
            type=Path,
            required=True,
            help="CSV transaction_id,is_fraud[,case].",
        )
        parser.add_argument(
            "--until",
            type=moment,
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
            required=True,
            metavar="FILE",
            help="Where to write the trained model.",
        )

    def handle(self, *args, dataset, labels, until, drop_field, output, **options):
        started = time.monotonic()
        reading = Reading()
        try:
            rows = training_rows(
                labelled_transactions(
                    dataset, labels, drop_fields=tuple(drop_field), reading=reading
                )
            )
            model = train(rows, until=until)
        except (DatasetError, TrainingError) as error:
            raise CommandError(str(error)) from error
        output.write_bytes(model.to_bytes())
        self._report(model, rows, reading, output, time.monotonic() - started)

    def _report(self, model, rows, reading, output, seconds) -> None:
        window = model.training
        until = datetime.fromtimestamp(window["until"], UTC).isoformat()
        self.stdout.write(
            f"{len(rows)} labelled transactions ({reading.refused} refused, "
            f"{reading.unlabelled} without a label, skipped); trained on "
            f"{window['rows']} before {until} ({window['fraud']} fraud), "
            f"{len(model.features)} features, in {seconds:.1f} s; "
            f"written to {output}"
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


def _figure(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"
