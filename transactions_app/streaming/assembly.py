"""The detector as the platform runs it, assembled from settings: the
Kafka clients, the rules from the database, storage through the services
and the live feed. ``rundetector`` and the pipeline benchmark both use it;
``rundetector`` runs it under ``RecoveringDetector``, which builds it again
when Kafka declares a client dead."""

import gc
import logging
import os
import socket
import threading
import time
from collections import deque
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
from .kafka import (
    KafkaClientFailed,
    TopicSpec,
    create_admin,
    create_consumer,
    create_producer,
)
from .kafka import ensure_topics as kafka_ensure_topics

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
        on_poll=metrics.record_poll,
        waiting=metrics.current_lag,
        batch_size=batch_size or settings.DETECTOR_BATCH_SIZE,
        exit_when_idle=exit_when_idle,
        event_time_bounds=EventTimeBounds(
            ahead=timedelta(seconds=settings.EVENT_TIME_MAX_AHEAD_SECONDS),
            behind=timedelta(seconds=settings.EVENT_TIME_MAX_BEHIND_SECONDS),
        ),
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


class RecoveringDetector:
    """Runs detectors made by ``build``, one at a time, until shutdown.

    A detector whose Kafka client died (``KafkaClientFailed``) has closed
    its clients and committed nothing more; a fresh one, with new clients,
    takes its place and rejoins the group under the same instance id. Its
    partitions are assigned again, so the detection state is restored from
    the database as after a restart, and the batch that was not committed
    is read again (storage skips what is stored). After ``max_rebuilds``
    rebuilds within ``window`` seconds the error propagates, so the process
    exits non-zero for its supervisor instead of rebuilding for ever.
    """

    def __init__(
        self,
        build: Callable[[], Detector],
        *,
        max_rebuilds: int = 5,
        window: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._build = build
        self._max_rebuilds = max_rebuilds
        self._window = window
        self._clock = clock
        self._rebuilds: deque[float] = deque()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._current: Detector | None = None
        self._done = (0, 0)  # processed, dead letters of the detectors before

    def run(self) -> None:
        """Run detectors until one stops without a dead client."""
        while True:
            detector = self._start()
            try:
                detector.run()
                return
            except KafkaClientFailed as error:
                self._retire(detector)
                if self._stopping.is_set() or not self._may_rebuild():
                    raise
                logger.error(
                    "Kafka client failed (%s); building new clients "
                    "(rebuild %d of at most %d in %.0f s)",
                    error,
                    len(self._rebuilds),
                    self._max_rebuilds,
                    self._window,
                )

    def signal_shutdown(self) -> None:
        """Stop the running detector after its batch in hand, and build no
        other. Safe from a signal handler."""
        self._stopping.set()
        with self._lock:
            if self._current is not None:
                self._current.signal_shutdown()

    @property
    def processed(self) -> int:
        return self._done[0] + (self._current.processed if self._current else 0)

    @property
    def dead_letters(self) -> int:
        current = self._current.dead_letters if self._current else 0
        return self._done[1] + current

    def _start(self) -> Detector:
        detector = self._build()
        with self._lock:
            self._current = detector
        if self._stopping.is_set():  # a signal came while it was built
            detector.signal_shutdown()
        return detector

    def _retire(self, detector: Detector) -> None:
        with self._lock:
            self._current = None
            self._done = (
                self._done[0] + detector.processed,
                self._done[1] + detector.dead_letters,
            )

    def _may_rebuild(self) -> bool:
        now = self._clock()
        while self._rebuilds and now - self._rebuilds[0] > self._window:
            self._rebuilds.popleft()
        if len(self._rebuilds) >= self._max_rebuilds:
            return False
        self._rebuilds.append(now)
        return True


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
