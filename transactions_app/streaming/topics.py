"""The platform's topics, named by settings (defaults from the original
tutorial app: ``queuing.transactions``, ``queuing.legit``,
``queuing.fraud``, plus ``queuing.deadletter``)."""

from django.conf import settings

from .detector import DetectorTopics
from .kafka import TopicSpec


def detector_topics() -> DetectorTopics:
    return DetectorTopics(
        transactions=settings.TRANSACTIONS_TOPIC,
        legit=settings.LEGIT_TOPIC,
        fraud=settings.FRAUD_TOPIC,
        deadletter=settings.DEADLETTER_TOPIC,
    )


def topic_specs() -> list[TopicSpec]:
    """Every topic, the input one with ``TRANSACTIONS_TOPIC_PARTITIONS``
    partitions so several detectors can share it."""
    topics = detector_topics()
    return [
        TopicSpec(topics.transactions, settings.TRANSACTIONS_TOPIC_PARTITIONS),
        TopicSpec(topics.legit, 1),
        TopicSpec(topics.fraud, 1),
        TopicSpec(topics.deadletter, 1),
    ]
