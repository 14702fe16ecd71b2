"""The platform's topics, named by settings (defaults from the original
tutorial app: ``queuing.transactions``, ``queuing.legit``,
``queuing.fraud``, plus ``queuing.deadletter``)."""

from django.conf import settings

from ..connections import kafka_connection
from ..streaming.kafka import TopicSpec, create_admin, ensure_topics
from ..streaming.ports import DetectorTopics


def detector_topics() -> DetectorTopics:
    """The topics the settings name; the shared receivers' topic when
    ``DETECTION_SHARE_RECEIVERS`` is on."""
    return DetectorTopics(
        transactions=settings.TRANSACTIONS_TOPIC,
        legit=settings.LEGIT_TOPIC,
        fraud=settings.FRAUD_TOPIC,
        deadletter=settings.DEADLETTER_TOPIC,
        receivers=(
            settings.RECEIVERS_TOPIC if settings.DETECTION_SHARE_RECEIVERS else None
        ),
    )


def topic_specs(
    topics: DetectorTopics | None = None, *, partitions: int | None = None
) -> list[TopicSpec]:
    """Every topic (of ``topics``, by default those the settings name), the
    input one, and the shared receivers' one, with ``partitions``
    (``TRANSACTIONS_TOPIC_PARTITIONS`` by default) so several detectors can
    share them; each with ``KAFKA_REPLICATION_FACTOR`` replicas and
    ``KAFKA_MIN_INSYNC_REPLICAS``."""
    topics = topics or detector_topics()
    partitions = partitions or settings.TRANSACTIONS_TOPIC_PARTITIONS
    counts = [(topics.transactions, partitions), (topics.legit, 1)]
    counts += [(topics.fraud, 1), (topics.deadletter, 1)]
    if topics.receivers:
        counts.append((topics.receivers, partitions))
    return [
        TopicSpec(
            name,
            count,
            settings.KAFKA_REPLICATION_FACTOR,
            settings.KAFKA_MIN_INSYNC_REPLICAS,
        )
        for name, count in counts
    ]


def throwaway_topics(
    prefix: str, *, receivers: bool = False, partitions: int | None = None
) -> DetectorTopics:
    """Create a fresh set of platform topics named ``prefix.*`` (for the
    evaluation and benchmarks), the input one with ``partitions`` (the
    configured number by default); with ``receivers``, a shared receivers'
    topic too."""
    topics = DetectorTopics(
        f"{prefix}.transactions",
        f"{prefix}.legit",
        f"{prefix}.fraud",
        f"{prefix}.deadletter",
        f"{prefix}.receivers" if receivers else None,
    )
    ensure_topics(
        create_admin(connection=kafka_connection()),
        topic_specs(topics, partitions=partitions),
    )
    return topics


def delete_topics(topics: DetectorTopics) -> None:
    create_admin(connection=kafka_connection()).delete_topics(
        [spec.name for spec in topic_specs(topics)]
    )
