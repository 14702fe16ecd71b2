"""Running the detector through the death of its Kafka clients: a
detector whose client Kafka declared dead is replaced by one with new
clients, a bounded number of times."""

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from .detector import Detector
from .kafka import KafkaClientFailed

logger = logging.getLogger(__name__)


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
