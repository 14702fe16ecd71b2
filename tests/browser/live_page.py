"""What the live page's browser tests share: the browser they drive, the
web server they drive it against, and how they feed and read the page."""

import asyncio
import socket
import subprocess
import sys
import threading
import time

from channels.layers import get_channel_layer

from tests.streaming.detector_process import ROOT, detector_env
from transactions_app.live_feed.services import LIVE_FEED_GROUP

ARTIFACTS = ROOT / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "a-Long-test-passw0rd"
# How long Playwright waits for an event before the test fails: a bound on
# a failure, generous for a loaded machine, never a pause.
WAIT_MS = 60_000


def broadcast(event: dict) -> None:
    """Send a live feed event through the real Redis channel layer, from a
    thread of its own (Playwright's sync API owns this thread's loop)."""
    event = {"type": "transactions.batch"} | event
    worker = threading.Thread(
        target=lambda: asyncio.run(
            get_channel_layer().group_send(LIVE_FEED_GROUP, event)
        )
    )
    worker.start()
    worker.join(10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_text(page, selector: str, text: str) -> None:
    """Wait until the element shows exactly ``text`` (Playwright re-checks
    on every animation frame: an event, not a pause)."""
    page.wait_for_function(
        "([selector, text]) => document.querySelector(selector).textContent === text",
        arg=[selector, text],
    )


def feed_item(transaction_id: str, outcome: str) -> dict:
    """A live feed item as the detector broadcasts it."""
    return {
        "transaction_id": transaction_id,
        "source": "s",
        "target": "t",
        "amount": "1.00",
        "currency": "EUR",
        "timestamp": "2026-11-29T10:00:00+00:00",
        "outcome": outcome,
        "score": 0,
        "reasons": [],
    }


def counts(*outcomes: str) -> dict:
    tally = {"legit": 0, "review": 0, "fraud": 0}
    for outcome in outcomes:
        tally[outcome] += 1
    return tally


def row_count(page) -> int:
    return page.evaluate("document.querySelectorAll('#feed-rows tr').length")


class WebServer:
    """daphne serving the ASGI app on this test's database and topics."""

    def __init__(self, settings) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = detector_env(settings)
        self.process = None
        self.start()

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(self.port),
            "fraudsite.asgi:application",
        ]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 90  # bounds a failure, on a loaded machine
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("daphne did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def production_password(raw: str) -> str:
    """``raw`` hashed by the first hasher production uses, for a user that a
    server started by the test (with production settings) must log in."""
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.utils.module_loading import import_string

    # tests/conftest.py puts the fast hasher before production's list.
    production_first = import_string(settings.PASSWORD_HASHERS[1])
    return make_password(raw, hasher=production_first.algorithm)
