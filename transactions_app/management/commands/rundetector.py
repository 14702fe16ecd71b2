from django.conf import settings
from django.core.management.base import BaseCommand

from transactions_app.connections import kafka_failures_end_the_command
from transactions_app.pipeline.assembly import build_detector, tune_garbage_collection
from transactions_app.pipeline.signals import stop_on_termination
from transactions_app.pipeline.startup import verify_detector_startup
from transactions_app.pipeline.topics import detector_topics
from transactions_app.streaming.metrics import serve_metrics
from transactions_app.streaming.recovery import RecoveringDetector


class Command(BaseCommand):
    help = (
        "Consume transactions from Kafka, classify, store, route them to the "
        "legit or fraud topic, and broadcast them to the live page."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--group-id",
            default=settings.DETECTOR_GROUP_ID,
            help="Kafka consumer group (default: DETECTOR_GROUP_ID).",
        )
        parser.add_argument(
            "--instance-id",
            default=settings.DETECTOR_INSTANCE_ID or None,
            help="Static group membership id, unique per detector process "
            "(default: DETECTOR_INSTANCE_ID): a restart with the same id takes "
            "its partitions back at once.",
        )
        parser.add_argument(
            "--exit-when-idle",
            type=float,
            metavar="SECONDS",
            help="Stop after no message arrived for this long.",
        )
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=settings.DETECTOR_METRICS_PORT or None,
            help="Serve Prometheus metrics, and /healthz, on this port "
            "(default: DETECTOR_METRICS_PORT; none when unset).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=settings.DETECTOR_BATCH_SIZE,
            help="Most messages handled per batch (default: DETECTOR_BATCH_SIZE).",
        )

    def handle(
        self,
        *args,
        group_id,
        instance_id,
        exit_when_idle,
        batch_size,
        metrics_port,
        **options,
    ):
        with kafka_failures_end_the_command():
            verify_detector_startup()
            self._run(group_id, instance_id, exit_when_idle, batch_size, metrics_port)

    def _run(self, group_id, instance_id, exit_when_idle, batch_size, metrics_port):
        if metrics_port:
            serve_metrics(metrics_port, settings.DETECTOR_METRICS_ADDRESS)
        detector = RecoveringDetector(
            lambda: build_detector(
                topics=detector_topics(),
                group_id=group_id,
                instance_id=instance_id,
                batch_size=batch_size,
                exit_when_idle=exit_when_idle,
            )
        )
        tune_garbage_collection()
        stop_on_termination(detector)
        self.stderr.write(
            f"detector consuming {settings.TRANSACTIONS_TOPIC} as {group_id}"
        )
        detector.run()
        self.stderr.write(
            f"detector stopped: {detector.processed} classified, "
            f"{detector.dead_letters} dead letters"
        )
