"""One retry policy for the detector's waits on the database and on Kafka:
delays that double up to a cap, each waited on an injected ``wait`` that
returns True when the wait was cut short because the detector is asked to
stop (``threading.Event.wait``), so a shutdown never sits out a backoff."""

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Backoff:
    """Delays from ``initial`` seconds, doubled after each pause, at most
    ``maximum``."""

    def __init__(
        self, *, initial: float, maximum: float, wait: Callable[[float], bool]
    ) -> None:
        self._delay = min(initial, maximum)
        self._maximum = maximum
        self._wait = wait

    @property
    def delay(self) -> float:
        """The next pause, in seconds."""
        return self._delay

    def pause(self) -> bool:
        """Wait the next delay, then double it; True if asked to stop
        meanwhile (give up)."""
        stopped = self._wait(self._delay)
        self._delay = min(self._delay * 2, self._maximum)
        return stopped

    def pause_after(self, reason: str, then: str = "retry") -> bool:
        """Log ``reason`` (a warning: something failed and is tried again),
        then ``pause``."""
        logger.warning("%s; %s in %.1f s", reason, then, self._delay)
        return self.pause()
