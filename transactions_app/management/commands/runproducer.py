import random
import time
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from transactions_app.connections import (
    kafka_connection,
    kafka_failures_end_the_command,
    verify_configured_connection,
)
from transactions_app.detection.clock import utc_now
from transactions_app.pipeline.signals import stop_on_termination
from transactions_app.simulation.datasets import newest_event_time, write_dataset
from transactions_app.simulation.generator import SeedProfile
from transactions_app.simulation.producer import ProducerStats, TransactionProducer
from transactions_app.simulation.realistic import RealisticProfile, accounts_for_rate
from transactions_app.streaming.kafka import create_producer


def parse_rate(value: str) -> float | None:
    """``max`` (no limit) or a positive number of transactions per second."""
    if value == "max":
        return None
    try:
        rate = float(value)
    except ValueError:
        raise CommandError(f"--rate must be a number or 'max', got {value!r}") from None
    if not rate > 0 or rate == float("inf"):
        raise CommandError(f"--rate must be positive and finite, got {value!r}")
    return rate


class Command(BaseCommand):
    help = "Write synthetic transactions to the input topic, keyed by source account."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rate",
            default=None,
            help="Transactions per second, or 'max' "
            "(default: TRANSACTIONS_PER_SECOND).",
        )
        parser.add_argument(
            "--count", type=int, help="Stop after this many transactions."
        )
        parser.add_argument(
            "--seed",
            type=int,
            help="Random seed, for a reproducible sequence (the same ids too: "
            "a second run with the same seed repeats the same transactions).",
        )
        parser.add_argument(
            "--profile",
            choices=["realistic", "seed"],
            default="realistic",
            help="'realistic' (default): recurring accounts with habits and "
            "labelled fraud scenarios; 'seed': the original tutorial generator.",
        )
        parser.add_argument(
            "--fraud-share",
            type=float,
            default=0.02,
            help="Realistic profile: share of transactions in fraud scenarios "
            "(default 0.02).",
        )
        parser.add_argument(
            "--time-scale",
            type=float,
            default=1.0,
            help="Realistic profile: event time runs this many times faster "
            "than real time (default 1). With 10, an hour of activity is sent "
            "in six minutes: soak runs fill the detector's windows sooner.",
        )
        parser.add_argument(
            "--to-file",
            type=Path,
            metavar="FILE.jsonl[.gz]",
            help="Write --count transactions to this file instead of Kafka, "
            "their event times ending now (with --labels-file): a labelled "
            "history for evaluate --dataset and trainmodel.",
        )
        parser.add_argument(
            "--labels-file",
            type=Path,
            metavar="FILE.csv",
            help="With --to-file: where the labels go (transaction_id,is_fraud,case).",
        )

    def handle(
        self, *args, rate, count, seed, profile, fraud_share, time_scale, **options
    ):
        rate = parse_rate(rate) if rate else settings.TRANSACTIONS_PER_SECOND
        if count is not None and count < 0:
            raise CommandError("--count must not be negative")
        if not 0 <= fraud_share < 1:
            raise CommandError("--fraud-share must be at least 0 and below 1")
        if not 0 < time_scale < float("inf"):
            raise CommandError(f"--time-scale must be positive, got {time_scale}")
        to_file, labels_file = options.get("to_file"), options.get("labels_file")
        if (to_file is None) != (labels_file is None):
            raise CommandError("--to-file and --labels-file go together")
        if to_file is not None:
            self._write(to_file, labels_file, rate, count, seed, profile, fraud_share)
            return
        with kafka_failures_end_the_command():
            verify_configured_connection()
            stats = self._run(rate, count, seed, profile, fraud_share, time_scale)
        self.stderr.write(
            f"\nsent {stats.sent}, delivered {stats.delivered}, failed {stats.failed}"
        )
        if stats.failed:
            raise CommandError(
                f"{stats.failed} of {stats.sent} transactions were not delivered: "
                f"{stats.last_error}"
            )

    def _write(self, dataset, labels, rate, count, seed, profile, fraud_share):
        if count is None:
            raise CommandError("--to-file needs --count")
        event_rate = rate or settings.TRANSACTIONS_PER_SECOND
        seed = seed if seed is not None else random.randrange(2**31)
        start = utc_now() - timedelta(seconds=count / event_rate)

        def generator():
            return make_profile(
                profile,
                seed=seed,
                rate=event_rate,
                fraud_share=fraud_share,
                start=start,
            )

        # The profile's pace follows the hours of the day, and its fraud
        # episodes run ahead of it: a dry run of the same stream finds its
        # newest event, so that the file's ends exactly now.
        shift = utc_now() - newest_event_time(generator(), count)
        try:
            fraud = write_dataset(generator(), count, dataset, labels, shift=shift)
        except OSError as error:
            raise CommandError(f"cannot write the dataset: {error}") from error
        self.stderr.write(
            f"wrote {count} transactions ({fraud} fraud) to {dataset}, "
            f"labels to {labels}"
        )

    def _run(
        self, rate, count, seed, profile, fraud_share, time_scale
    ) -> ProducerStats:
        loop = TransactionProducer(
            producer=create_producer(connection=kafka_connection()),
            topic=settings.TRANSACTIONS_TOPIC,
            generate=make_profile(
                profile,
                seed=seed,
                rate=rate,
                fraud_share=fraud_share,
                time_scale=time_scale,
            ),
            rate=rate,
            count=count,
            report=ProgressLine(self.stderr),
        )
        stop_on_termination(loop)
        return loop.run()


def make_profile(
    name: str, *, seed, rate, fraud_share, time_scale=1.0, start: datetime | None = None
):
    """The generator for ``--profile``. The realistic profile's event time
    runs at the sending rate (or TRANSACTIONS_PER_SECOND when unlimited),
    ``time_scale`` times faster, from ``start`` (now by default)."""
    if name == "seed":
        return SeedProfile(seed=seed, clock=utc_now)
    event_rate = (rate or settings.TRANSACTIONS_PER_SECOND) / time_scale
    return RealisticProfile(
        seed=seed,
        start=start or utc_now(),
        rate=event_rate,
        fraud_share=fraud_share,
        accounts=accounts_for_rate(event_rate),
    )


class ProgressLine:
    """Writes the count and rate: rewritten in place on a terminal, one
    line every five seconds otherwise (logs)."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self._tty = hasattr(stream, "isatty") and stream.isatty()
        self._last_line_at = 0.0

    def __call__(self, stats: ProducerStats) -> None:
        now = time.monotonic()
        line = (
            f"sent {stats.sent}  delivered {stats.delivered}  failed {stats.failed}  "
            f"{stats.rate(now):.1f}/s"
        )
        if self._tty:
            self._stream.write("\r" + line, ending="")
            self._stream.flush()
        elif now - self._last_line_at >= 5.0:
            self._stream.write(line)
            self._last_line_at = now
