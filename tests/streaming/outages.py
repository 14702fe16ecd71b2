"""What the fault tests share: traffic keyed as our producer keys it, the
local services stopped and started, a table locked, and waits for events
(rows stored, offsets committed, a detector's health)."""

import json
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager

import psycopg
from confluent_kafka import KafkaException
from django.db import connection

from tests.streaming.detector_process import ROOT
from transactions_app.models import Transaction

SERVICES = ["bash", str(ROOT / "scripts/services/services.sh")]


def messages(count: int) -> list[dict]:
    return [
        {
            "transaction_id": str(uuid.uuid4()),
            "source": f"acct{i % 997:08d}",
            "target": f"dest{i % 991:08d}",
            "amount": round(1 + (i * 37 % 99_900) / 10, 2),
            "currency": "EUR",
        }
        for i in range(count)
    ]


def produce_keyed(kafka, topic, batch) -> None:
    """Keyed by source account, as our producer does."""
    from confluent_kafka import Producer

    producer = Producer(kafka.config)
    for document in batch:
        producer.produce(
            topic, key=document["source"].encode(), value=json.dumps(document).encode()
        )
        producer.poll(0)
    assert producer.flush(60) == 0


def stored_count() -> int:
    connection.close()  # a fresh connection: the database may have restarted
    return Transaction.objects.count()


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def assert_exactly_once(sent: list[dict]) -> None:
    connection.close()  # a fresh connection: the database may have restarted
    stored = list(Transaction.objects.values_list("transaction_id", flat=True))
    assert len(stored) == len(set(stored)), "a transaction was stored twice"
    assert {str(t) for t in stored} == {m["transaction_id"] for m in sent}


def report(capsys, text: str) -> None:
    with capsys.disabled():
        print(f"\n  measured: {text}")


def services(action: str, service: str) -> None:
    subprocess.run([*SERVICES, action, service], check=True, capture_output=True)


class SteadyProducer(threading.Thread):
    """Produces ``rate`` keyed transactions a second until ``stop``, through
    a broker outage too (the client buffers them); ``sent`` is what it
    produced, every one acknowledged once ``stop`` returns."""

    def __init__(self, kafka, topic: str, rate: int) -> None:
        super().__init__(daemon=True)
        from confluent_kafka import Producer

        self._producer = Producer(kafka.config)
        self._topic, self._rate = topic, rate
        self._stopping = threading.Event()
        self.sent: list[dict] = []

    def run(self) -> None:
        tick, started = 0.05, time.monotonic()
        while not self._stopping.wait(tick):
            due = int((time.monotonic() - started) * self._rate) - len(self.sent)
            for document in messages(due):
                self._producer.produce(
                    self._topic,
                    key=document["source"].encode(),
                    value=json.dumps(document).encode(),
                )
                self.sent.append(document)
            self._producer.poll(0)

    def stop(self) -> list[dict]:
        self._stopping.set()
        self.join()
        assert self._producer.flush(120) == 0, "the producer lost messages"
        return self.sent


@contextmanager
def stopped(service: str):
    """``service`` stopped for the block, and started again after it
    whatever happens in it."""
    services("stop", service)
    try:
        yield
    finally:
        services("start", service)


@contextmanager
def table_locked(model, mode: str = "ACCESS EXCLUSIVE"):
    """Holds a lock (ACCESS EXCLUSIVE unless ``mode`` says otherwise) on
    ``model``'s table from a connection of its own: every write to it
    waits, as on a database stalled by a lock (EXCLUSIVE lets reads go
    on)."""
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
    ) as locker:
        table = model._meta.db_table
        locker.execute(f'LOCK TABLE "{table}" IN {mode} MODE')
        yield lambda: locker.execute(
            "SELECT count(*) FROM pg_locks WHERE relation = %s::regclass"
            " AND NOT granted",
            [table],
        ).fetchone()[0]
        locker.rollback()


def wait_until_all_committed(kafka, group_id: str, topic: str, detector=None) -> None:
    """The detector has committed every message produced so far (a broker
    just restarted may not answer the question yet: asked again). On a
    timeout the error shows what is left and the end of the detector's
    log, when given its ``detector``."""

    def all_committed() -> bool:
        try:
            return kafka.uncommitted(group_id, topic, 3) == {}
        except KafkaException:
            return False

    try:
        wait_until(all_committed, 120, "the offsets committed to the end")
    except AssertionError as error:
        if detector is None:
            raise
        tail = "\n".join(detector.output.splitlines()[-60:])
        raise AssertionError(f"{error}; the detector's log ends:\n{tail}") from None


def answers(question, *args) -> bool:
    """Whether the broker answers ``question`` (it may not yet, just after
    a restart)."""
    try:
        question(*args, 3)
    except KafkaException:
        return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def detector_health(port: int) -> tuple[int, dict]:
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
