"""Prometheus metrics of the detector, served on ``--metrics-port``.

Counters and histograms are updated by the detector loop once per batch;
consumer lag comes from librdkafka's statistics callback.
"""

import json
import logging

from prometheus_client import Counter, Gauge, Histogram

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


_lag_by_partition: dict[tuple[str, str], int] = {}


def record_statistics(stats_json: str) -> None:
    """librdkafka's ``stats_cb``: the consumer lag of every partition this
    consumer owns."""
    try:
        stats = json.loads(stats_json)
    except ValueError:
        return
    for topic, details in stats.get("topics", {}).items():
        for partition, numbers in details.get("partitions", {}).items():
            lag = numbers.get("consumer_lag", -1)
            if partition != "-1" and lag >= 0:
                LAG.labels(topic, partition).set(lag)
                _lag_by_partition[(topic, partition)] = lag


def current_lag() -> int | None:
    """Messages this detector is behind, over its partitions (None before
    the first statistics arrive)."""
    return sum(_lag_by_partition.values()) if _lag_by_partition else None
