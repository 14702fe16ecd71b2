"""Fraud alerts through the outages that lost them: Redis stopped 30 s and
PostgreSQL stopped 20 s while fraud streams in through Kafka, a real
``rundetector`` stores it, and a real Celery worker, with the periodic
dispatcher, sends the alerts to a webhook receiver. Every fraud
transaction reaches the receiver at least once; duplicates are counted.
A worker killed in the middle of a send leads to a resend."""

import json
import threading
import time
import uuid
from collections import Counter

import pytest
from confluent_kafka import Producer
from django.db import connection

from tests.factories import stored_transaction
from tests.streaming.detector_process import DetectorProcess
from tests.streaming.outages import report, services, wait_until
from tests.test_celery_worker import WorkerProcess
from tests.webhook_server import SECRET, WebhookServer
from transactions_app.alerts.tasks import send_alert
from transactions_app.models import AlertDelivery, Transaction

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_rules"),
]

RATE = 20  # messages a second, one in four over the fraud amount


class SteadyStream:
    """Produces transactions at ``RATE`` a second in a thread until
    stopped; every fourth is 950 EUR (fraud by the amount rule)."""

    def __init__(self, kafka, topic: str) -> None:
        self.sent: list[dict] = []
        self._producer = Producer(kafka.config)
        self._topic = topic
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def __enter__(self) -> "SteadyStream":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        assert self._producer.flush(60) == 0

    def _run(self) -> None:
        i = 0
        while not self._stop.wait(1 / RATE):
            document = {
                "transaction_id": str(uuid.uuid4()),
                "source": f"acct{i % 997:08d}",
                "target": f"dest{i % 991:08d}",
                "amount": 950.0 if i % 4 == 0 else round(1 + i % 500, 2),
                "currency": "EUR",
            }
            self._producer.produce(
                self._topic,
                key=document["source"].encode(),
                value=json.dumps(document).encode(),
            )
            self._producer.poll(0)
            self.sent.append(document)
            i += 1


def fraud_ids() -> set[str]:
    connection.close()  # a fresh connection: the database may have restarted
    rows = Transaction.objects.filter(outcome="fraud")
    return {str(t) for t in rows.values_list("transaction_id", flat=True)}


def stored() -> int:
    connection.close()
    return Transaction.objects.count()


def open_deliveries() -> int:
    connection.close()
    return AlertDelivery.objects.exclude(status="sent").count()


def test_every_fraud_alert_arrives_through_redis_and_database_outages(
    settings, kafka_topics, kafka, group_id, capsys
):
    """Both outages bite (batches whose alert task cannot be queued, tasks
    that meet the database gone), and still every fraud transaction
    stored reaches the receiver, every delivery ends sent, and every
    request carries its alert id."""
    with WebhookServer() as receiver:
        alerts = {
            "ALERT_WEBHOOK_URL": receiver.url,
            "ALERT_WEBHOOK_SECRET": SECRET,
            "ALERT_WEBHOOK_TIMEOUT": "2",
            "ALERT_WEBHOOK_RETRY_SECONDS": "1",
            "ALERT_LEASE_SECONDS": "15",
            "ALERT_DISPATCH_SECONDS": "2",
        }

        def received() -> set[str]:
            # A Celery worker can exit on a Redis restart (inside kombu's
            # reconnection); in production its supervisor starts it again,
            # and so does this test. The outbox keeps what it had not sent.
            worker.keep_running()
            return {r.json["transaction_id"] for r in list(receiver.received)}

        worker = WorkerProcess(
            settings, default_queue=True, beat=True, threads=4, **alerts
        )
        detector = DetectorProcess(settings, "--group-id", group_id, **alerts)
        try:
            detector.wait_for_output("partitions assigned")
            with SteadyStream(kafka, kafka_topics.transactions) as stream:
                wait_until(lambda: len(receiver.received) >= 50, 120, "first alerts")
                services("stop", "redis")
                time.sleep(30)  # the outage
                services("start", "redis")
                before = len(received())
                wait_until(lambda: len(received()) > before, 120, "alerts again")
                services("stop", "postgres")
                time.sleep(20)  # the outage
                services("start", "postgres")
                before = len(received())
                wait_until(lambda: len(received()) > before, 180, "alerts again")
            sent = stream.sent
            wait_until(lambda: stored() == len(sent), 240, "every transaction stored")
            expected = fraud_ids()
            wait_until(lambda: expected <= received(), 300, "every fraud alerted")
            wait_until(lambda: open_deliveries() == 0, 120, "every delivery sent")
            dispatched = sum(
                int(line.split("dispatched ")[1].split()[0])
                for line in worker.output.splitlines()
                if "dispatched " in line and "from the outbox" in line
            )
            unqueued = detector.output.count("in on_commit()")
            database_retries = worker.output.count("database unavailable")
        except AssertionError as error:
            raise AssertionError(
                f"{error}\nthe worker's log ends:\n{worker.output[-6000:]}"
            ) from error
        finally:
            detector.stop()
            worker.stop()
            services("start", "redis")
            services("start", "postgres")
    counts = Counter(r.json["transaction_id"] for r in receiver.received)
    assert all(r.signature_valid for r in receiver.received)
    assert all(
        r.headers["Idempotency-Key"] == r.json["transaction_id"]
        for r in receiver.received
    )
    assert len(expected) >= len(sent) // 4
    assert set(counts) == expected
    assert unqueued > 0, "Redis was never missed at a commit"
    duplicates = sum(counts.values()) - len(counts)
    report(
        capsys,
        f"{len(sent)} transactions, {len(expected)} fraud: {len(counts)} alerted "
        f"({len(receiver.received)} requests, {duplicates} duplicates on "
        f"{sum(1 for n in counts.values() if n > 1)} alerts); the dispatcher "
        f"queued {dispatched} deliveries; {unqueued} batches could not queue "
        f"their alerts, {database_retries} tasks or dispatches met the "
        f"database gone; the worker exited and was started again "
        f"{worker.restarts} times",
    )


def test_a_worker_killed_during_the_send_leads_to_a_resend(settings, capsys):
    """SIGKILL while the receiver holds the request: the delivery stays
    leased, the lease runs out, the dispatcher of a new worker queues it
    and it is sent again (the receiver saw it twice, with one id)."""
    with WebhookServer(["hang"]) as receiver:
        alerts = {
            "ALERT_WEBHOOK_URL": receiver.url,
            "ALERT_WEBHOOK_SECRET": SECRET,
            "ALERT_WEBHOOK_TIMEOUT": "10",
            "ALERT_LEASE_SECONDS": "12",
            "ALERT_DISPATCH_SECONDS": "1",
        }
        fraud = stored_transaction("fraud")
        row = AlertDelivery.objects.create(transaction=fraud, channel="webhook")
        first = WorkerProcess(settings, **alerts)
        try:
            send_alert.apply_async(args=[row.pk], queue=first.queue)
            wait_until(lambda: len(receiver.received) == 1, 60, "the first POST")
            first.process.kill()
            killed_at = time.monotonic()
        finally:
            first.stop()
        assert AlertDelivery.objects.get(pk=row.pk).status == "sending"
        second = WorkerProcess(settings, default_queue=True, beat=True, **alerts)
        try:
            wait_until(
                lambda: AlertDelivery.objects.filter(pk=row.pk, status="sent").exists(),
                120,
                "the resend",
            )
        finally:
            second.stop()
    resent_after = time.monotonic() - killed_at
    ids = [r.headers["X-Fraud-Alert-Id"] for r in receiver.received]
    assert ids == [str(fraud.transaction_id)] * 2
    row.refresh_from_db()
    assert (row.attempts, row.response_status) == (2, 200)
    assert resent_after >= 12
    report(capsys, f"a killed worker's alert was sent again {resent_after:.0f} s later")
