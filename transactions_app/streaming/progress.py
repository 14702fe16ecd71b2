"""What the detector has done so far: counts of classified, flagged and
dead-lettered messages, each committed batch reported to ``on_batch`` (the
metrics), and a progress line in the log every so often while working."""

import logging
from collections.abc import Callable
from datetime import datetime

from .writing import Written

logger = logging.getLogger(__name__)


class Progress:
    """Counts committed batches and reports them."""

    def __init__(
        self,
        *,
        on_batch: Callable[..., object],
        interval: float,
        clock: Callable[[], float],
        now: Callable[[], datetime],
    ) -> None:
        self._on_batch = on_batch
        self._interval = interval
        self._clock = clock
        self._now = now
        self._last_line = (clock(), 0)
        self.processed = 0
        self.flagged = 0
        self.dead_letters = 0

    def committed(self, written: Written, started: float) -> None:
        """A batch handed to the writer at ``started`` (on ``clock``) is
        committed: report it to ``on_batch`` with each transaction's age
        since its Kafka time, count it, and log a line when one is due."""
        now = self._now()
        self._on_batch(
            outcomes=[item.verdict.outcome.value for item in written.classified],
            dead=len(written.dead),
            seconds=self._clock() - started,
            ages=[
                (now - item.origin.timestamp).total_seconds()
                for item in written.classified
            ],
        )
        self.processed += len(written.classified)
        self.flagged += sum(item.verdict.is_flagged for item in written.classified)
        self.dead_letters += len(written.dead)
        self._log_if_due()

    def _log_if_due(self) -> None:
        """One line every ``interval`` seconds while working."""
        now = self._clock()
        since, processed_then = self._last_line
        if now - since < self._interval:
            return
        rate = (self.processed - processed_then) / (now - since)
        logger.info(
            "classified %d (%d flagged, %d dead letters), %.1f/s",
            self.processed,
            self.flagged,
            self.dead_letters,
            rate,
        )
        self._last_line = (now, self.processed)
