"""``rundetector`` in a thread of the test process, stopped when its work is
done rather than after an idle spell.

``--exit-when-idle`` stops a detector after so many seconds without a
message: on a loaded machine a slow start (group join, restore) passes for
the end of the input. Here the test waits for an event instead, the group's
committed offsets at the input topic's end (the detector commits a batch
only after storing, routing and acknowledging it), and then stops the
detector as SIGTERM would (``Detector.signal_shutdown``).
"""

import io
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.management import call_command
from django.db import connections

from transactions_app.management.commands import rundetector

# Bounds a failure (a detector that never gets there), never a wait.
DONE_WITHIN = 120.0


class DetectorThread:
    """One ``rundetector`` command, with ``options`` as ``call_command``
    takes them, running on a thread of its own."""

    def __init__(self, **options) -> None:
        self.group_id = options["group_id"]
        self.stderr = io.StringIO()
        self._options = options
        self._lock = threading.Lock()
        self._stop_requested = False
        self._detector = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="rundetector")

    @property
    def output(self) -> str:
        return self.stderr.getvalue()

    def start(self) -> "DetectorThread":
        self._thread.start()
        return self

    def wait_until_done(self, kafka, *, timeout: float = DONE_WITHIN) -> None:
        """Wait until the group has committed the end of every partition of
        the input topic; fail at once if the detector ended before."""
        deadline = time.monotonic() + timeout
        topic = settings.TRANSACTIONS_TOPIC
        with kafka.offsets(self.group_id, topic) as offsets:
            while offsets.uncommitted():
                if not self._thread.is_alive():
                    self.stop()
                    raise AssertionError(f"the detector ended early:\n{self.output}")
                assert time.monotonic() < deadline, (
                    f"not committed after {timeout} s: {offsets.uncommitted()}\n"
                    f"{self.output}"
                )
                time.sleep(0.1)

    def stop(self, timeout: float = 60.0) -> None:
        """Ask the detector to stop after the batch in hand, wait for it,
        and re-raise what ended it, if anything did."""
        with self._lock:
            self._stop_requested = True
            detector = self._detector
        if detector is not None:
            detector.signal_shutdown()
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the detector did not stop"
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        real_build = rundetector.build_detector

        def build_and_keep(**kwargs):
            detector = real_build(**kwargs)
            with self._lock:
                self._detector = detector
                stop_at_once = self._stop_requested
            if stop_at_once:  # stopped before it was built: it runs no batch
                detector.signal_shutdown()
            return detector

        rundetector.build_detector = build_and_keep
        try:
            call_command("rundetector", stderr=self.stderr, **self._options)
        except BaseException as error:  # noqa: BLE001 - re-raised by stop()
            self._error = error
        finally:
            rundetector.build_detector = real_build
            connections.close_all()


@contextmanager
def detector_thread(**options):
    """A running detector for the block; stopped when the block ends."""
    detector = DetectorThread(**options).start()
    try:
        yield detector
    finally:
        detector.stop()


def run_detector_until_done(kafka, **options) -> str:
    """Run ``rundetector`` until it has committed everything on the input
    topic, then stop it; its stderr."""
    with detector_thread(**options) as detector:
        detector.wait_until_done(kafka)
    return detector.output
