"""A ``rundetector`` in a process of its own, for fault tests: started,
stopped, killed, and watched through its log."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def detector_env(settings, **extra) -> dict:
    """The environment of a detector process that works on this test's
    database and topics."""
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/"
        f"{db['NAME']}"
    )
    return (
        os.environ
        | {
            "DATABASE_URL": url,
            "TRANSACTIONS_TOPIC": settings.TRANSACTIONS_TOPIC,
            "LEGIT_TOPIC": settings.LEGIT_TOPIC,
            "FRAUD_TOPIC": settings.FRAUD_TOPIC,
            "DEADLETTER_TOPIC": settings.DEADLETTER_TOPIC,
            "RECEIVERS_TOPIC": settings.RECEIVERS_TOPIC,
            "PYTHONUNBUFFERED": "1",
        }
        | extra
    )


class DetectorProcess:
    def __init__(self, settings, *args: str, **env) -> None:
        self._log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "rundetector", *args],
            cwd=ROOT,
            env=detector_env(settings, **env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def output(self) -> str:
        return Path(self._log.name).read_text()

    def wait_for_output(self, text: str, timeout: float = 60.0) -> float:
        """Seconds from start until ``text`` appears in the log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output:
                return time.monotonic() - self.started_at
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not in the detector's log:\n{self.output}")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)

    def terminate(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@contextmanager
def assigned_detector(settings, *args: str, **env) -> Iterator[DetectorProcess]:
    """A detector process that has its partitions, killed on the way out if
    the test has not ended it already."""
    detector = DetectorProcess(settings, *args, **env)
    try:
        detector.wait_for_output("partitions assigned")
        yield detector
    finally:
        detector.stop()
