"""A real HTTP endpoint for webhook tests, in a thread: it answers from a
script (200, 500, a redirect, or hanging), records every request, and
checks its signature the way a receiver would, from the documented scheme
alone."""

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "test-webhook-secret"


@dataclass
class Received:
    headers: Message  # names are case-insensitive, as in HTTP
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def signature_valid(self) -> bool:
        """The receiver's check: HMAC-SHA256 of ``<timestamp>.<body>``."""
        timestamp = self.headers["X-Fraud-Timestamp"]
        expected = hmac.new(
            SECRET.encode(), timestamp.encode() + b"." + self.body, hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(expected, self.headers["X-Fraud-Signature-SHA256"])


class WebhookServer:
    """Answers each request with the next step of ``script`` ("ok", "error",
    "redirect" or "hang"); "ok" once the script is used up."""

    def __init__(self, script=()) -> None:
        self.script = list(script)
        self.received: list[Received] = []
        self.release = threading.Event()  # ends the hanging answers
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits up to one of them.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/alerts"

    def __enter__(self) -> "WebhookServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def _next_step(self, received: Received) -> str:
        with self._lock:
            self.received.append(received)
            return self.script.pop(0) if self.script else "ok"

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                step = server._next_step(Received(self.headers, body))
                if step == "hang":
                    server.release.wait(30)
                    return
                code = {"ok": 200, "error": 500, "redirect": 302}[step]
                self.send_response(code)
                if step == "redirect":
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):
                pass

        return Handler
