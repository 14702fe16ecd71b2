"""The platform's topics, named by settings (defaults from the original
tutorial app: ``queuing.transactions``, ``queuing.legit``,
``queuing.fraud``, plus ``queuing.deadletter``)."""

from django.conf import settings

from ..connections import kafka_connection
from ..streaming.kafka import TopicSpec, create_admin, ensure_topics
from ..streaming.ports import DetectorTopics


def detector_topics() -> DetectorTopics:
    return DetectorTopics(
        transactions=settings.TRANSACTIONS_TOPIC,
        legit=settings.LEGIT_TOPIC,
        fraud=settings.FRAUD_TOPIC,
        deadletter=settings.DEADLETTER_TOPIC,
    )


def topic_specs(topics: DetectorTopics | None = None) -> list[TopicSpec]:
    """Every topic (of ``topics``, by default those the settings name), the
    input one with ``TRANSACTIONS_TOPIC_PARTITIONS`` partitions so several
    detectors can share it."""
    topics = topics or detector_topics()
    return [
        TopicSpec(topics.transactions, settings.TRANSACTIONS_TOPIC_PARTITIONS),
        TopicSpec(topics.legit, 1),
        TopicSpec(topics.fraud, 1),
        TopicSpec(topics.deadletter, 1),
    ]


def throwaway_topics(prefix: str) -> DetectorTopics:
    """Create a fresh set of platform topics named ``prefix.*`` (for the
    evaluation and benchmarks), the input one with the configured
    partitions."""
    topics = DetectorTopics(
        f"{prefix}.transactions",
        f"{prefix}.legit",
        f"{prefix}.fraud",
        f"{prefix}.deadletter",
    )
    ensure_topics(create_admin(connection=kafka_connection()), topic_specs(topics))
    return topics


def delete_topics(topics: DetectorTopics) -> None:
    create_admin(connection=kafka_connection()).delete_topics(
        [topics.transactions, topics.legit, topics.fraud, topics.deadletter]
    )
