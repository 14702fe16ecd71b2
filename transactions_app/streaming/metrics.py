"""Prometheus metrics and health of the detector, served on
``--metrics-port``: ``/healthz`` answers whether the loop is making
progress, every other path the metrics.

Counters and histograms are updated by the detector loop once per batch;
consumer lag comes from librdkafka's statistics callback.
"""

import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

logger = logging.getLogger(__name__)

MESSAGES = Counter(
    "fraud_messages_consumed_total", "Messages read from the input topic."
)
VERDICTS = Counter(
    "fraud_verdicts_total", "Transactions classified, by outcome.", ["outcome"]
)
DEAD_LETTERS = Counter("fraud_dead_letters_total", "Messages rejected as dead letters.")
BATCH_SECONDS = Histogram(
    "fraud_batch_duration_seconds",
    "Time to classify, store, produce and commit one batch.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
LATENCY_SECONDS = Histogram(
    "fraud_end_to_end_latency_seconds",
    "From the message's Kafka timestamp to its offset commit.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
LAG = Gauge(
    "fraud_consumer_lag_messages",
    "Messages behind the end of each input partition.",
    ["topic", "partition"],
)


def record_batch(*, outcomes, dead: int, seconds: float, ages) -> None:
    """Account for one committed batch: its outcomes, dead letters,
    duration and each message's age at commit."""
    MESSAGES.inc(len(outcomes) + dead)
    for outcome in outcomes:
        VERDICTS.labels(outcome).inc()
    DEAD_LETTERS.inc(dead)
    BATCH_SECONDS.observe(seconds)
    for age in ages:
        LATENCY_SECONDS.observe(age)
    LIVENESS.committed()


_lag_by_partition: dict[tuple[str, str], int] = {}


def record_statistics(stats_json: str) -> None:
    """librdkafka's ``stats_cb``: the consumer lag of every partition this
    consumer owns. Each report replaces the one before, so a partition
    that went to another detector in a rebalance no longer counts here."""
    try:
        stats = json.loads(stats_json)
    except ValueError:
        return
    lags = {}
    for topic, details in stats.get("topics", {}).items():
        for partition, numbers in details.get("partitions", {}).items():
            lag = partition_lag(numbers)
            if partition != "-1" and lag >= 0:
                lags[(topic, partition)] = lag
    _replace_lag(lags)


def forget_lag() -> None:
    """Drop the lag reported so far (a new consumer reports its own)."""
    _replace_lag({})


def _replace_lag(lags: dict[tuple[str, str], int]) -> None:
    """Make ``lags`` the whole of the lag gauge: partitions not in it lose
    their label, so none lingers after it moved to another consumer."""
    for gone in _lag_by_partition.keys() - lags.keys():
        LAG.remove(*gone)
    for (topic, partition), lag in lags.items():
        LAG.labels(topic, partition).set(lag)
    _lag_by_partition.clear()
    _lag_by_partition.update(lags)


def partition_lag(numbers: dict) -> int:
    """Messages behind the end of one partition (-1 when unknown), counted
    from the offsets the detector stored once committed, or before its
    first commit from those it found committed at assignment. (librdkafka's
    ``consumer_lag`` alone counts from the offsets the consumer itself
    committed or fetched, which a transactional commit does not move.)"""
    stored = numbers.get("consumer_lag_stored", -1)
    return stored if stored >= 0 else numbers.get("consumer_lag", -1)


def current_lag() -> int | None:
    """Messages this detector is behind, over its partitions (None before
    the first statistics arrive)."""
    return sum(_lag_by_partition.values()) if _lag_by_partition else None


# How long the loop may go without polling, or without committing while
# behind, before it is reported unhealthy: well past a slow batch or a
# rebalance, well within librdkafka's 5-minute max.poll.interval.ms.
STALL_SECONDS = 60.0


class Liveness:
    """When the detector loop last polled Kafka and last committed, and
    whether that is too long ago.

    A loop that polls but commits nothing is fine while there is nothing
    to read; with messages waiting (``lag`` above 0: the lag counts from
    the committed offsets, so it cannot shrink without commits) it is
    stuck, as is a loop that stopped polling. A dead Kafka client or a
    database that stays away ends up here.
    """

    def __init__(
        self,
        *,
        stall_seconds: float = STALL_SECONDS,
        lag: Callable[[], int | None] = current_lag,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stall_seconds = stall_seconds
        self._lag = lag
        self._clock = clock
        self._last_poll = self._last_commit = clock()

    def polled(self) -> None:
        self._last_poll = self._clock()

    def committed(self) -> None:
        self._last_commit = self._clock()

    def report(self) -> dict:
        """``status`` ok or unhealthy (with the ``reason``), and the figures
        it was judged on."""
        now, lag = self._clock(), self._lag()
        since_poll, since_commit = now - self._last_poll, now - self._last_commit
        report = {
            "status": "ok",
            "seconds_since_poll": round(since_poll, 1),
            "seconds_since_commit": round(since_commit, 1),
            "lag": lag,
        }
        if since_poll > self._stall_seconds:
            reason = f"no poll of Kafka for {since_poll:.0f} s"
        elif lag and since_commit > self._stall_seconds:
            reason = f"no offset committed for {since_commit:.0f} s, {lag} behind"
        else:
            return report
        return report | {"status": "unhealthy", "reason": reason}


LIVENESS = Liveness()


def record_poll() -> None:
    """The detector loop polled the consumer (its ``on_poll``)."""
    LIVENESS.polled()


def health_app(liveness: Liveness, metrics_app) -> Callable:
    """A WSGI app: ``/healthz`` answers 200 or 503 with the liveness
    report as JSON; every other path is ``metrics_app``."""

    def app(environ, start_response):
        if environ.get("PATH_INFO") != "/healthz":
            return metrics_app(environ, start_response)
        report = liveness.report()
        status = "200 OK" if report["status"] == "ok" else "503 Service Unavailable"
        body = json.dumps(report).encode()
        start_response(status, [("Content-Type", "application/json")])
        return [body]

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args) -> None:  # noqa: A002 - the base's name
        pass  # a probe every few seconds would flood the log


def serve_metrics(port: int, address: str, liveness: Liveness = LIVENESS):
    """Serve the metrics and ``/healthz`` on ``address:port`` from a daemon
    thread; returns the server (``shutdown()`` stops it)."""
    family = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM)[0][0]
    server_class = type("MetricsServer", (ThreadingWSGIServer,), {})
    server_class.address_family = family
    server = make_server(
        address,
        port,
        health_app(liveness, make_wsgi_app()),
        server_class,
        handler_class=_QuietHandler,
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
