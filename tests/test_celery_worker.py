"""A real ``celery -A fraudsite worker`` process, fed through Redis, working
on the test database: queued tasks run there and their effects are
committed where this test can see them."""

import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import stored_transaction
from tests.streaming.detector_process import ROOT, detector_env
from tests.webhook_server import SECRET, WebhookServer
from transactions_app.alerts.tasks import send_alert
from transactions_app.models import AlertDelivery, Transaction
from transactions_app.tasks import escalate_overdue_cases

pytestmark = pytest.mark.integration


class WorkerProcess:
    """A worker reading one queue of its own, so it takes only this test's
    tasks; stopped with SIGTERM (killed if it does not stop).

    ``default_queue`` makes it read Celery's default queue instead (what
    the detector and beat publish to), emptied first, ``beat`` runs the
    periodic schedule inside it, and ``threads`` runs that many tasks at
    once (one at a time otherwise)."""

    def __init__(
        self, settings, *, default_queue=False, beat=False, threads=0, **env
    ) -> None:
        self.queue = f"test-worker-{uuid.uuid4().hex[:10]}"
        self._log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        self._schedule = f"{self._log.name}.schedule"
        options = ["--queues", self.queue]
        if default_queue:
            self.queue = "celery"
            options = ["--queues", self.queue, "--purge"]
        if beat:
            options += ["--beat", "--schedule", self._schedule]
        pool = ["--pool", "solo"]
        if threads:
            pool = ["--pool", "threads", "--concurrency", str(threads)]
        self._command = [
            *(sys.executable, "-m", "celery", "-A", "fraudsite", "worker"),
            *(*pool, *options, "--loglevel", "INFO"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            *("--hostname", f"{self.queue}-{uuid.uuid4().hex[:6]}@%h"),
        ]
        self._env = detector_env(settings, CELERY_TASK_ALWAYS_EAGER="false", **env)
        self.restarts = 0
        self.process = self._spawn()

    def _spawn(self) -> subprocess.Popen:
        return subprocess.Popen(
            self._command,
            cwd=ROOT,
            env=self._env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def keep_running(self) -> bool:
        """Start the worker again if it exited, as its supervisor would
        (compose's restart policy); True while it runs."""
        if self.process.poll() is not None:
            self.restarts += 1
            self.process = self._spawn()
        return True

    @property
    def output(self) -> str:
        return Path(self._log.name).read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        Path(self._log.name).unlink(missing_ok=True)
        for path in Path(self._schedule).parent.glob(f"{Path(self._schedule).name}*"):
            path.unlink(missing_ok=True)


def wait_for(condition, worker: WorkerProcess, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.process.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"not done by the worker; its log:\n{worker.output}")


def test_a_worker_process_escalates_cases_and_sends_the_webhook(
    transactional_db, settings
):
    """Escalation and the webhook alert, queued here, are done by the
    worker: the case is escalated in PostgreSQL; the endpoint answers 500
    first, the worker retries after the backoff, and the delivery is
    recorded as sent on the second, signed attempt."""
    case = stored_transaction("fraud")
    case.review_status = "new"
    case.received_at = timezone.now() - timedelta(hours=2)
    case.save()
    alert = stored_transaction("fraud")
    delivery = AlertDelivery.objects.create(transaction=alert, channel="webhook")
    with WebhookServer(["error"]) as endpoint:
        worker = WorkerProcess(
            settings,
            REVIEW_SLA_HOURS="1",
            ALERT_WEBHOOK_URL=endpoint.url,
            ALERT_WEBHOOK_SECRET=SECRET,
            ALERT_WEBHOOK_TIMEOUT="2",
            ALERT_WEBHOOK_RETRY_SECONDS="0.5",
        )
        try:
            escalate_overdue_cases.apply_async(queue=worker.queue)
            send_alert.apply_async(args=[delivery.pk], queue=worker.queue)
            wait_for(
                lambda: (
                    Transaction.objects.filter(
                        pk=case.pk, review_status="escalated"
                    ).exists()
                    and AlertDelivery.objects.filter(
                        pk=delivery.pk, status="sent"
                    ).exists()
                ),
                worker,
            )
        finally:
            worker.stop()
    assert len(endpoint.received) == 2
    assert all(request.signature_valid for request in endpoint.received)
    assert endpoint.received[1].json["transaction_id"] == str(alert.transaction_id)
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.response_status) == (2, 200)
    event = Transaction.objects.get(pk=case.pk).review_events.get()
    assert (event.actor, event.note) == (None, "SLA exceeded: open longer than 1 h")
