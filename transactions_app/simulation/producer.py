"""The producer loop: generate transactions and write them to Kafka at a
steady rate, keyed by source account."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..streaming.codec import encode_transaction
from ..streaming.kafka import produce_when_room
from .generator import Labelled

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class ProducerStats:
    """Counts so far; ``delivered`` and ``failed`` come from Kafka's
    acknowledgements."""

    sent: int = 0
    delivered: int = 0
    failed: int = 0
    started_at: float = 0.0
    last_error: str = ""

    def rate(self, now: float) -> float:
        elapsed = now - self.started_at
        return self.sent / elapsed if elapsed > 0 else 0.0


class TransactionProducer:
    """Sends ``generate()`` results to ``topic`` until ``count`` or shutdown.

    ``rate`` is in transactions per second; ``None`` sends as fast as Kafka
    accepts. ``report`` is called about twice a second with the stats, for a
    progress line. Every message is flushed before ``run`` returns.
    """

    def __init__(
        self,
        *,
        producer,
        topic: str,
        generate: Callable[[], Labelled],
        rate: float | None,
        count: int | None = None,
        report: Callable[[ProducerStats], object] = lambda stats: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive, or None for no limit")
        self._producer = producer
        self._topic = topic
        self._generate = generate
        self._interval = 1.0 / rate if rate else 0.0
        self._count = count
        self._report = report
        self._clock = clock
        self._shutdown_requested = False
        self.stats = ProducerStats()

    def run(self) -> ProducerStats:
        self.stats.started_at = self._clock()
        next_send = next_report = self.stats.started_at
        try:
            while not self._shutdown_requested and not self._done():
                now = self._clock()
                if now < next_send:
                    self._producer.poll(min(next_send - now, 0.1))
                    continue
                self._send(self._generate())
                next_send = max(next_send + self._interval, now - 1.0)
                if now >= next_report:
                    self._report(self.stats)
                    next_report = now + 0.5
        finally:
            self._flush()
        self._report(self.stats)
        return self.stats

    def signal_shutdown(self) -> None:
        """Stop sending; ``run`` flushes what was sent and returns."""
        self._shutdown_requested = True

    def _done(self) -> bool:
        return self._count is not None and self.stats.sent >= self._count

    def _send(self, generated: Labelled) -> None:
        transaction = generated.transaction
        produce_when_room(
            self._producer,
            self._topic,
            key=transaction.source.encode(),
            value=encode_transaction(transaction),
            headers=generated.headers(),
            on_delivery=self._on_delivery,
        )
        self.stats.sent += 1

    def _on_delivery(self, error, message) -> None:
        if error is None:
            self.stats.delivered += 1
            return
        self.stats.failed += 1
        self.stats.last_error = str(error)
        logger.error("delivery to %s failed: %s", message.topic(), error)

    def _flush(self) -> None:
        remaining = self._producer.flush(30.0)
        if remaining:
            logger.error("%d messages were not acknowledged by Kafka", remaining)
