"""The detector as the platform runs it, assembled from settings: the
Kafka clients, the rules from the database, storage through the services
and the live feed. ``rundetector`` and the pipeline benchmark both use it;
``rundetector`` runs it under ``streaming.recovery.RecoveringDetector``,
which builds it again when Kafka declares a client dead."""

import functools
import gc
import logging
import os
import socket
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
)

from ..connections import kafka_connection
from ..ingest.services import transactions_store_batch
from ..live_feed.services import live_feed_broadcast
from ..rules.runtime import LiveDetection
from ..streaming import metrics
from ..streaming.codec import EventTimeBounds
from ..streaming.detector import Detector
from ..streaming.kafka import create_admin, create_consumer, create_producer
from ..streaming.ports import DetectorTopics
from ..streaming.receivers import ReceiverFeed, feed_consumer_config

logger = logging.getLogger(__name__)


def build_detector(
    *,
    topics: DetectorTopics,
    group_id: str,
    instance_id: str | None = None,
    batch_size: int | None = None,
    exit_when_idle: float | None = None,
    restore_seconds: float | None = None,
    on_batch: Callable[..., object] = metrics.record_batch,
    exactly_once: bool | None = None,
) -> Detector:
    connection = kafka_connection()
    metrics.forget_lag()  # what an earlier consumer reported is not ours
    if restore_seconds is None:
        restore_seconds = settings.DETECTION_RESTORE_SECONDS
    if exactly_once is None:
        exactly_once = settings.DETECTOR_EXACTLY_ONCE
    transactional_id = (
        detector_transactional_id(group_id, instance_id) if exactly_once else None
    )
    detection = LiveDetection(
        topic=topics.transactions,
        reload_interval=settings.RULES_RELOAD_SECONDS,
        restore_seconds=restore_seconds,
        baseline_seconds=settings.DETECTION_BASELINE_DAYS * 86400,
        share_receivers=topics.receivers is not None,
    )
    return Detector(
        consumer=create_consumer(
            connection=connection,
            group_id=group_id,
            instance_id=instance_id,
            stats_cb=metrics.record_statistics,
            **{"statistics.interval.ms": 5000},
        ),
        producer=create_producer(
            connection=connection, transactional_id=transactional_id
        ),
        exactly_once=exactly_once,
        topics=topics,
        detection=detection,
        receivers=receiver_feed(connection, topics, group_id, detection),
        store=lambda batch, dead: transactions_store_batch(
            classified=batch, rejected=dead
        ),
        broadcast=functools.partial(live_feed_broadcast, lag=metrics.current_lag),
        retryable=(OperationalError, InterfaceError),
        on_store_error=close_old_connections,
        writer_teardown=connections.close_all,
        on_batch=on_batch,
        on_poll=metrics.record_poll,
        waiting=metrics.current_lag,
        batch_size=batch_size or settings.DETECTOR_BATCH_SIZE,
        exit_when_idle=exit_when_idle,
        event_time_bounds=EventTimeBounds(
            ahead=timedelta(seconds=settings.EVENT_TIME_MAX_AHEAD_SECONDS),
            behind=timedelta(seconds=settings.EVENT_TIME_MAX_BEHIND_SECONDS),
        ),
    )


def receiver_feed(connection, topics, group_id: str, detection) -> ReceiverFeed | None:
    """The shared receivers' feed when ``topics`` has their topic: read from
    as far back as receivers' windows reach (their retention and the
    lateness allowance, for the rules in force)."""
    if topics.receivers is None:
        return None
    limits = detection.engine.state.limits
    return ReceiverFeed(
        create_consumer(
            connection=connection, group_id=group_id, **feed_consumer_config(group_id)
        ),
        create_admin(connection=connection),
        topics.receivers,
        lookback=limits.target_retention + limits.lateness,
        skip_origin=detection.engine.name,
    )


def detector_transactional_id(group_id: str, instance_id: str | None) -> str:
    """The transactional id of a detector's producer. With static
    membership it is the same across restarts, so a restarted detector
    fences its predecessor and aborts that one's open transaction at once;
    without, it is the same for the life of the process (a detector rebuilt
    after a dead client fences the dead one) and unique to it, so a killed
    detector's open transaction is only aborted by the broker's timeout."""
    if instance_id:
        return f"{group_id}.{instance_id}"
    return f"{group_id}.{socket.gethostname()}.{os.getpid()}"


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
