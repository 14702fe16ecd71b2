"""The detector as the platform runs it, assembled from settings: the
Kafka clients, the rules from the database, storage through the services
and the live feed. ``rundetector`` and the pipeline benchmark both use it."""

import gc
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
)

from ..live_feed import live_feed_broadcast
from ..rules.runtime import LiveDetection
from ..services import transactions_store_batch
from . import metrics
from .codec import EventTimeBounds
from .connection import kafka_connection
from .detector import Detector, DetectorTopics
from .kafka import TopicSpec, create_admin, create_consumer, create_producer
from .kafka import ensure_topics as kafka_ensure_topics


def build_detector(
    *,
    topics: DetectorTopics,
    group_id: str,
    instance_id: str | None = None,
    batch_size: int | None = None,
    exit_when_idle: float | None = None,
    restore_seconds: float | None = None,
    on_batch: Callable[..., object] = metrics.record_batch,
) -> Detector:
    connection = kafka_connection()
    if restore_seconds is None:
        restore_seconds = settings.DETECTION_RESTORE_SECONDS
    return Detector(
        consumer=create_consumer(
            connection=connection,
            group_id=group_id,
            instance_id=instance_id,
            stats_cb=metrics.record_statistics,
            **{"statistics.interval.ms": 5000},
        ),
        producer=create_producer(connection=connection),
        topics=topics,
        detection=LiveDetection(
            topic=topics.transactions,
            reload_interval=settings.RULES_RELOAD_SECONDS,
            restore_seconds=restore_seconds,
        ),
        store=lambda batch, dead: transactions_store_batch(
            classified=batch, rejected=dead
        ),
        broadcast=live_feed_broadcast,
        retryable=(OperationalError, InterfaceError),
        on_store_error=close_old_connections,
        writer_teardown=connections.close_all,
        on_batch=on_batch,
        batch_size=batch_size or settings.DETECTOR_BATCH_SIZE,
        exit_when_idle=exit_when_idle,
        event_time_bounds=EventTimeBounds(
            ahead=timedelta(seconds=settings.EVENT_TIME_MAX_AHEAD_SECONDS),
            behind=timedelta(seconds=settings.EVENT_TIME_MAX_BEHIND_SECONDS),
        ),
    )


def tune_garbage_collection() -> None:
    """Fit CPython's cycle collector to a detector process.

    The detector's windows hold millions of small long-lived objects, and
    with the default thresholds the full collections that scan all of them
    ran every few thousand messages: 30 to 40 % of the pipeline's time in
    ``make bench``. Objects from start-up are frozen (never scanned again)
    and the young generation is collected every 50,000 allocations instead
    of 700, which makes full collections rare. Cyclic garbage is still
    collected; the window state itself forms no cycles and is freed by
    reference counting.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


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
    kafka_ensure_topics(
        create_admin(connection=kafka_connection()),
        [
            TopicSpec(topics.transactions, settings.TRANSACTIONS_TOPIC_PARTITIONS),
            TopicSpec(topics.legit),
            TopicSpec(topics.fraud),
            TopicSpec(topics.deadletter),
        ],
    )
    return topics


def delete_topics(topics: DetectorTopics) -> None:
    create_admin(connection=kafka_connection()).delete_topics(
        [topics.transactions, topics.legit, topics.fraud, topics.deadletter]
    )
