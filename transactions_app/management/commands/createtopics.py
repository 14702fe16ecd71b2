from confluent_kafka import KafkaException
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from transactions_app.connections import (
    kafka_connection,
    kafka_failures_end_the_command,
)
from transactions_app.pipeline.topics import topic_specs
from transactions_app.streaming.kafka import (
    create_admin,
    ensure_topics,
    verify_connection,
)


class Command(BaseCommand):
    help = "Create the platform's Kafka topics that do not exist yet."

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout",
            type=float,
            default=30.0,
            help="Seconds to wait for the broker (default 30).",
        )

    def handle(self, *args, timeout, **options):
        connection = kafka_connection()
        try:
            with kafka_failures_end_the_command():
                verify_connection(connection, timeout=timeout)
            admin = create_admin(connection=connection)
            created = ensure_topics(admin, topic_specs(), timeout=timeout)
        except KafkaException as error:
            raise CommandError(
                f"Kafka at {settings.KAFKA_BOOTSTRAP_SERVERS} did not answer: {error}"
            ) from error
        for name in created:
            self.stdout.write(f"created topic {name}")
        if not created:
            self.stdout.write("all topics exist")
