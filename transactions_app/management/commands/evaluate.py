import time
import uuid
from datetime import timedelta

import orjson
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from transactions_app.connections import (
    kafka_connection,
    kafka_failures_end_the_command,
    verify_configured_connection,
)
from transactions_app.detection import Engine
from transactions_app.detection.clock import utc_now
from transactions_app.pipeline.topics import delete_topics, throwaway_topics
from transactions_app.rules.selectors import ruleset_live
from transactions_app.simulation.evaluation import evaluate
from transactions_app.simulation.generator import EPISODE_HEADER, LABEL_HEADER
from transactions_app.simulation.producer import TransactionProducer
from transactions_app.simulation.realistic import RealisticProfile
from transactions_app.streaming.detector import Detector
from transactions_app.streaming.kafka import (
    create_consumer,
    create_producer,
)
from transactions_app.streaming.ports import EngineDetection
from transactions_app.streaming.records import StoredBatch

# How long reading the labels back may make no progress before it fails.
STALL_SECONDS = 60.0


class Command(BaseCommand):
    help = (
        "Measure detection quality: send the realistic profile's labelled "
        "scenarios through Kafka and the real detector loop with the rules in "
        "force, then print per-scenario recall, precision and the confusion "
        "matrix. Uses throwaway topics and stores nothing."
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

    def handle(self, *args, **options):
        with kafka_failures_end_the_command():
            verify_configured_connection()
            self._evaluate(**options)

    def _evaluate(self, *, count, warmup, seed, fraud_share, **options):
        connection = kafka_connection()
        topics = throwaway_topics(f"evaluate.{uuid.uuid4().hex[:8]}")
        try:
            started = time.monotonic()
            total = count + warmup
            self._produce(connection, topics, total, seed, warmup, fraud_share)
            verdicts = self._detect(connection, topics, total)
            labels = self._labels(connection, topics.transactions, total)
            elapsed = time.monotonic() - started
        finally:
            delete_topics(topics)
        report = evaluate(
            (label, episode, verdicts[tid]) for tid, (label, episode) in labels.items()
        )
        self.stdout.write(report.as_text())
        self.stdout.write(
            f"\n{len(labels)} transactions ({warmup} warm-up) through Kafka and the "
            f"detector in {elapsed:.1f} s; rules: "
            + ", ".join(f"{name} v{v}" for name, v in sorted(self._versions.items()))
        )

    def _produce(self, connection, topics, total, seed, warmup, fraud_share):
        rate = settings.TRANSACTIONS_PER_SECOND
        profile = RealisticProfile(
            seed=seed,
            start=utc_now() - timedelta(seconds=total / rate),
            rate=rate,
            fraud_share=fraud_share,
            warmup=warmup,
        )
        TransactionProducer(
            producer=create_producer(connection=connection),
            topic=topics.transactions,
            generate=profile,
            rate=None,
            count=total,
        ).run()

    def _detect(self, connection, topics, total: int) -> dict:
        """Run a detector over the ``total`` messages produced; it stops
        once it has judged them all (not after an idle spell, which a slow
        start on a busy machine would pass for the end)."""
        verdicts = {}
        read = [0]

        def keep(batch, dead):
            for item in batch:
                verdicts[str(item.transaction.transaction_id)] = (
                    item.verdict.outcome.value
                )
            read[0] += len(batch) + len(dead)
            if read[0] >= total:
                detector.signal_shutdown()  # this batch still completes
            return StoredBatch(new=list(batch), conflicts=[])

        ruleset = ruleset_live()
        self._versions = ruleset.versions
        detector = Detector(
            consumer=create_consumer(
                connection=connection, group_id=f"{topics.transactions}.detector"
            ),
            producer=create_producer(connection=connection),
            topics=topics,
            detection=EngineDetection(Engine(ruleset, clock=utc_now)),
            store=keep,
            broadcast=lambda rows: None,
            batch_size=2000,
        )
        detector.run()
        if read[0] < total:
            raise CommandError(f"the detector stopped after {read[0]} of {total}")
        return verdicts

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
