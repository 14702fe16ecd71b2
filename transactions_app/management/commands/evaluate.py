import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from django.core.management.base import BaseCommand, CommandError

from transactions_app.connections import (
    kafka_connection,
    kafka_failures_end_the_command,
    verify_configured_connection,
)
from transactions_app.detection import Engine, RuleSet, original_rule
from transactions_app.detection.clock import utc_now
from transactions_app.detection.learned import LearnedScore
from transactions_app.management.arguments import iso_time, positive_int
from transactions_app.pipeline.topics import delete_topics, throwaway_topics
from transactions_app.rules.selectors import ruleset_live
from transactions_app.scoring.selectors import (
    learned_score,
    learned_score_from_file,
    model_version_named,
)
from transactions_app.simulation.datasets import (
    DatasetError,
    newest_timestamp,
    read_labels,
    read_messages,
)
from transactions_app.simulation.evaluation import (
    dataset_report,
    evaluate,
    judged_against,
    sent_before,
    side_by_side,
)
from transactions_app.simulation.generator import EPISODE_HEADER, LABEL_HEADER
from transactions_app.simulation.producer import TransactionProducer
from transactions_app.simulation.realistic import RealisticProfile, rate_for_accounts
from transactions_app.simulation.replay import (
    ReplayIncomplete,
    detect_all,
    produce_messages,
)
from transactions_app.streaming.kafka import (
    create_admin,
    create_consumer,
    create_producer,
    partitions_of,
)
from transactions_app.streaming.ports import EngineDetection

# The population of the generator's evaluation run.
EVALUATION_ACCOUNTS = 3000

# How long reading the labels back may make no progress before it fails.
STALL_SECONDS = 60.0
# What every dataset is also measured with, for comparison.
TUTORIAL = RuleSet(rules=(original_rule(),))


class Command(BaseCommand):
    help = (
        "Measure detection quality: send the realistic profile's labelled "
        "scenarios (or, with --dataset and --labels, a labelled file of your "
        "own) through Kafka and the real detector loop with the rules in "
        "force, then print recall, precision, the false-positive rate and "
        "the confusion matrix. Uses throwaway topics and stores nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--count",
            type=int,
            default=20_000,
            help="Transactions measured (default 20000).",
        )
        parser.add_argument(
            "--warmup",
            type=int,
            default=60_000,
            help="Legit transactions sent first so accounts have "
            "history, left out of the figures (default 60000).",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (default 1)."
        )
        parser.add_argument(
            "--fraud-share",
            type=float,
            default=0.02,
            help="Share of measured transactions in fraud scenarios (default 0.02).",
        )
        parser.add_argument(
            "--dataset",
            type=Path,
            help="Messages to replay instead: JSON lines in the wire format, "
            "each with a transaction_id (gzip when the name ends in .gz).",
        )
        parser.add_argument(
            "--labels",
            type=Path,
            help="With --dataset: CSV transaction_id,is_fraud[,case].",
        )
        parser.add_argument(
            "--drop-field",
            action="append",
            default=[],
            metavar="FIELD",
            help="With --dataset: leave this field out of every message "
            "(repeatable), to measure without an optional field.",
        )
        parser.add_argument(
            "--plot",
            type=Path,
            metavar="FILE.png",
            help="With --dataset: draw the precision-recall curves and the "
            "score distributions of fraud and legit into this PNG (needs "
            "matplotlib).",
        )
        parser.add_argument(
            "--model",
            metavar="live|N|FILE",
            help="With --dataset: also run the rules in force and the "
            "tutorial's rule each with this model beside them (live: the "
            "model in force; N: model version N; or a file trainmodel "
            "wrote), and measure only the transactions after its training "
            "window (see --measure-from).",
        )
        parser.add_argument(
            "--measure-from",
            type=iso_time("--measure-from"),
            metavar="TIME",
            help="With --dataset: every message feeds the detectors, the "
            "figures count only those at or after this time (ISO 8601; by "
            "default the end of the model's training window with --model, "
            "else all).",
        )
        parser.add_argument(
            "--partitions",
            type=positive_int("--partitions"),
            metavar="N",
            help="Partitions of the replay's input topic (default "
            "TRANSACTIONS_TOPIC_PARTITIONS). The detector reads several in "
            "turn, each running hours of event time ahead of the others at "
            "replay speed, so receivers' windows see payments out of order; "
            "1 keeps the messages' order, as live traffic arrives.",
        )
        parser.add_argument(
            "--shift-to-now",
            action="store_true",
            help="With --dataset: move every event time by one offset so the "
            "newest is now (by default event times are sent as they are).",
        )

    def handle(self, *args, **options):
        if (options["dataset"] is None) != (options["labels"] is None):
            raise CommandError("--dataset and --labels go together")
        for name in ("plot", "model", "measure_from"):
            if options[name] is not None and options["dataset"] is None:
                raise CommandError(f"--{name.replace('_', '-')} goes with --dataset")
        with kafka_failures_end_the_command():
            verify_configured_connection()
            try:
                if options["dataset"] is not None:
                    self._evaluate_dataset(**options)
                else:
                    self._evaluate(**options)
            except (DatasetError, ReplayIncomplete) as error:
                raise CommandError(str(error)) from error

    def _evaluate(self, *, count, warmup, seed, fraud_share, partitions, **options):
        connection = kafka_connection()
        topics = throwaway_topics(
            f"evaluate.{uuid.uuid4().hex[:8]}", partitions=partitions
        )
        try:
            started = time.monotonic()
            total = count + warmup
            self._produce(connection, topics, total, seed, warmup, fraud_share)
            ruleset = ruleset_live()
            verdicts = self._detect(connection, topics, total, ruleset)
            labels = self._labels(connection, topics.transactions, total)
            elapsed = time.monotonic() - started
        finally:
            delete_topics(topics)
        report = evaluate(
            (label, episode, verdicts[tid].outcome.value)
            for tid, (label, episode) in labels.items()
        )
        self.stdout.write(report.as_text())
        self.stdout.write(
            f"\n{len(labels)} transactions ({warmup} warm-up) through Kafka and the "
            f"detector in {elapsed:.1f} s; rules: {_versions(ruleset)}"
        )

    def _evaluate_dataset(
        self,
        *,
        dataset,
        labels,
        drop_field,
        shift_to_now,
        plot,
        model,
        partitions,
        **options,
    ):
        """Replay the file through Kafka, then run a detector with the rules
        in force and one with the tutorial's rule alone over the same
        messages (and, with a model, each of them with the model beside
        it), and print their figures side by side."""
        truth = read_labels(labels)
        shift = _shift_to_now(dataset) if shift_to_now else None
        learned = None if model is None else _learned_score(model)
        measure_from = _measure_from(options["measure_from"], learned, shift)
        messages = read_messages(dataset, drop_fields=tuple(drop_field), shift=shift)
        connection = kafka_connection()
        topics = throwaway_topics(
            f"evaluate.{uuid.uuid4().hex[:8]}", partitions=partitions
        )
        try:
            started = time.monotonic()
            producer = create_producer(connection=connection)
            total = produce_messages(producer, topics.transactions, messages)
            read_from = partitions_of(
                create_admin(connection=connection), topics.transactions
            )
            reports, live = [], ruleset_live()
            for title, rules, with_model in _configurations(live, learned):
                times: dict[str, float] = {}
                verdicts = self._detect(
                    connection, topics, total, rules, with_model, times
                )
                left_out = sent_before(times, measure_from)
                reports.append(
                    dataset_report(title, judged_against(truth, verdicts, left_out))
                )
            elapsed = time.monotonic() - started
        finally:
            delete_topics(topics)
        times = f"shifted by {shift}" if shift else "as in the file"
        if measure_from is not None:
            self.stdout.write(
                f"measured on the transactions at or after {measure_from.isoformat()}"
                " (all of them fed the detectors)\n"
            )
        self.stdout.write(side_by_side(reports))
        for report in reports:
            self.stdout.write("\n" + report.confusion_text())
        if plot is not None:
            _plot(reports, plot)
            self.stdout.write(f"\nPlotted to {plot}")
        self.stdout.write(
            f"\n{total} messages of {dataset} ({len(truth)} labelled, event times "
            f"{times}) through Kafka ({_partitions(read_from)}) and "
            f"{len(reports)} detectors in {elapsed:.1f} s; "
            f"rules in force: {_versions(live)}"
            + ("" if learned is None else f"; model v{learned.version}")
        )

    def _produce(self, connection, topics, total, seed, warmup, fraud_share):
        # Event time at the pace of real people: 3,000 paying twice a day
        # each, so the run spans days (its warm-up a week and more, which
        # makes its shops established receivers) as a real history would.
        rate = rate_for_accounts(EVALUATION_ACCOUNTS)
        profile = RealisticProfile(
            seed=seed,
            start=utc_now() - timedelta(seconds=total / rate),
            rate=rate,
            fraud_share=fraud_share,
            warmup=warmup,
            accounts=EVALUATION_ACCOUNTS,
        )
        TransactionProducer(
            producer=create_producer(connection=connection),
            topic=topics.transactions,
            generate=profile,
            rate=None,
            count=total,
        ).run()

    def _detect(
        self, connection, topics, total: int, ruleset: RuleSet, learned=None, times=None
    ) -> dict:
        """Each transaction's verdict from a detector with ``ruleset`` (and
        the model ``learned``) over the ``total`` messages on ``topics``; a
        group of its own, so every one reads the same messages from the
        start. ``times`` receives their event times."""
        return detect_all(
            consumer=create_consumer(
                connection=connection,
                group_id=f"{topics.transactions}.{uuid.uuid4().hex[:8]}",
            ),
            producer=create_producer(connection=connection),
            topics=topics,
            detection=EngineDetection(Engine(ruleset, clock=utc_now, learned=learned)),
            total=total,
            event_times=times,
        )

    def _labels(self, connection, topic, total: int) -> dict:
        """Ground truth, read back from the input topic's headers: all
        ``total`` messages (a reader that stalls for ``STALL_SECONDS`` is an
        error)."""
        consumer = create_consumer(connection=connection, group_id=f"{topic}.labels")
        consumer.subscribe([topic])
        labels, progress_at = {}, time.monotonic()
        while len(labels) < total:
            if time.monotonic() - progress_at > STALL_SECONDS:
                consumer.close()
                raise CommandError(
                    f"read only {len(labels)} of {total} labels from {topic}"
                )
            batch = [m for m in consumer.consume(2000, 0.5) if m.error() is None]
            if batch:
                progress_at = time.monotonic()
            for message in batch:
                headers = dict(message.headers() or [])
                tid = _transaction_id(message.value())
                labels[tid] = (
                    headers[LABEL_HEADER].decode(),
                    headers[EPISODE_HEADER].decode(),
                )
        consumer.close()
        return labels


def _transaction_id(value: bytes) -> str:
    return orjson.loads(value)["transaction_id"]


def _plot(reports, path: Path) -> None:
    # Imported here, not above: matplotlib is optional (development
    # requirements), and only --plot needs it.
    try:
        from transactions_app.simulation.plots import plot_quality
    except ImportError as error:
        raise CommandError(
            f"--plot needs matplotlib ({error}); pip install matplotlib"
        ) from None
    plot_quality(reports, path)


def _partitions(count: int) -> str:
    return f"{count} partition" + ("" if count == 1 else "s")


def _versions(ruleset: RuleSet) -> str:
    return ", ".join(f"{name} v{v}" for name, v in sorted(ruleset.versions.items()))


def _shift_to_now(dataset: Path) -> timedelta:
    newest = newest_timestamp(dataset)
    if newest is None:
        raise CommandError(f"{dataset}: no timestamp to shift to now")
    return utc_now() - newest


def _configurations(live: RuleSet, learned: LearnedScore | None) -> list[tuple]:
    """(title, rules, model) of each detector run over the dataset."""
    runs = [("rules in force", live, None), ("tutorial rule", TUTORIAL, None)]
    if learned is None:
        return runs
    name = f"model v{learned.version}" if learned.version else "the model"
    return [
        runs[0],
        (f"rules in force + {name}", live, learned),
        runs[1],
        (f"tutorial rule + {name}", TUTORIAL, learned),
    ]


def _learned_score(model: str) -> LearnedScore:
    """The model ``--model`` names: ``live``, a version number, or a file
    (served as version 0)."""
    try:
        if model == "live" or model.isdigit():
            version = model_version_named(model)
            if version is None:
                raise CommandError(f"--model {model}: no such model version")
            return learned_score(version)
        return learned_score_from_file(Path(model))
    except (OSError, ValueError) as error:
        raise CommandError(f"--model {model}: {error}") from None


def _measure_from(explicit, learned: LearnedScore | None, shift) -> datetime | None:
    """Where the measured period starts, in the times as sent: ``explicit``,
    else the end of the model's training window, else nowhere (all)."""
    start = explicit
    if start is None and learned is not None:
        until = learned.model.model.training.get("until")
        start = None if until is None else datetime.fromtimestamp(until, UTC)
    if start is not None and shift is not None:
        start += shift
    return start
