"""Faults against the real services: a killed detector, two detectors with
one dying, a database outage, a broker restart (also one that outlasts the
session timeout while a batch waits on the database), Redis down. In every
case each transaction ends up stored exactly once."""

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
import pytest
from confluent_kafka import KafkaException
from django.db import connection

from tests.streaming.detector_process import ROOT, DetectorProcess
from transactions_app.models import Transaction

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_rules"),
]

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


def test_a_killed_detector_restarts_and_nothing_is_lost_or_doubled(
    settings, kafka_topics, kafka, group_id, capsys
):
    """SIGKILL mid-stream, then restart with the same static membership id:
    every transaction is stored exactly once, and the restarted detector
    gets its partitions back without waiting for the session timeout."""
    sent = messages(20_000)
    produce_keyed(kafka, kafka_topics.transactions, sent)
    first = DetectorProcess(settings, "--group-id", group_id, "--instance-id", "d1")
    try:
        wait_until(lambda: stored_count() >= 2_000, 60, "the first rows")
        first.kill()
    finally:
        first.stop()
    at_kill = stored_count()
    second = DetectorProcess(settings, "--group-id", group_id, "--instance-id", "d1")
    try:
        recovery = second.wait_for_output("partitions assigned", timeout=60)
        wait_until_all_committed(kafka, group_id, kafka_topics.transactions)
        assert second.terminate() == 0, second.output
    finally:
        second.stop()
    assert at_kill < len(sent), "the kill came too late to test anything"
    assert_exactly_once(sent)
    report(
        capsys,
        f"killed at {at_kill} of {len(sent)} stored; the restarted "
        f"detector had its partitions {recovery:.1f} s after starting",
    )
    assert recovery < 10, second.output


def test_two_detectors_share_the_partitions_and_one_dies(
    settings, kafka_topics, kafka, group_id, capsys
):
    """Two detectors in one group split the partitions; when one is killed
    the other takes its partitions over and nothing is lost or doubled."""
    sent = messages(30_000)
    one = DetectorProcess(settings, "--group-id", group_id, "--instance-id", "one")
    two = DetectorProcess(settings, "--group-id", group_id, "--instance-id", "two")
    try:
        one.wait_for_output("partitions assigned")
        two.wait_for_output("partitions assigned")
        produce_keyed(kafka, kafka_topics.transactions, sent)
        wait_until(lambda: stored_count() >= 3_000, 60, "the first rows")
        one.kill()
        killed_at = time.monotonic()
        wait_until_all_committed(kafka, group_id, kafka_topics.transactions)
        took_over = time.monotonic() - killed_at
        assert two.terminate() == 0, two.output
    finally:
        one.stop()
        two.stop()
    assert two.output.count("partitions assigned") >= 2, two.output
    assert_exactly_once(sent)
    report(
        capsys,
        f"the survivor had committed everything {took_over:.0f} s "
        "after the other was killed",
    )


def test_a_database_outage_pauses_the_detector_without_loss(
    settings, kafka_topics, kafka, group_id, capsys
):
    """PostgreSQL down for 20 s: the detector retries with backoff, commits
    nothing meanwhile, and resumes; every transaction is stored once."""
    detector = DetectorProcess(settings, "--group-id", group_id)
    try:
        detector.wait_for_output("partitions assigned")
        services("stop", "postgres")
        try:
            sent = messages(2_000)
            produce_keyed(kafka, kafka_topics.transactions, sent)
            time.sleep(20)
            uncommitted = kafka.uncommitted(group_id, kafka_topics.transactions, 3)
        finally:
            services("start", "postgres")
            connection.close()  # the test's own connection died with it
        assert sum(uncommitted.values()) == len(sent), "committed while down"
        wait_until_all_committed(kafka, group_id, kafka_topics.transactions)
        assert detector.terminate() == 0, detector.output
    finally:
        detector.stop()
    assert "storing a batch failed" in detector.output
    assert_exactly_once(sent)
    assert kafka.uncommitted(group_id, kafka_topics.transactions, 3) == {}


def test_a_broker_restart_is_survived(settings, kafka_topics, kafka, group_id, capsys):
    """Kafka restarts mid-stream: the detector reconnects by itself and
    every transaction is stored once. (With transactions, a restart has
    been seen to hang the offsets call of the transaction in hand: the
    detector then builds new clients, reported below.)"""
    sent = messages(10_000)
    produce_keyed(kafka, kafka_topics.transactions, sent[:5_000])
    detector = DetectorProcess(settings, "--group-id", group_id)
    try:
        wait_until(lambda: stored_count() >= 1_000, 60, "the first rows")
        services("stop", "kafka")
        time.sleep(3)  # the outage
        services("start", "kafka")
        back = time.monotonic()
        produce_keyed(kafka, kafka_topics.transactions, sent[5_000:])
        wait_until_all_committed(kafka, group_id, kafka_topics.transactions, detector)
        caught_up = time.monotonic() - back
        assert detector.terminate() == 0, detector.output
    finally:
        detector.stop()
        services("start", "kafka")
    assert_exactly_once(sent)
    rebuilds = detector.output.count("building new clients")
    report(
        capsys,
        f"broker restarted (down 3 s): all committed {caught_up:.1f} s after it "
        f"was back (clients rebuilt {rebuilds} times)",
    )


def test_classification_goes_on_while_redis_is_down(
    settings, kafka_topics, kafka, group_id
):
    """Redis going away while the detector runs: the live feed cannot be
    sent, but every transaction is classified and stored; the broadcast
    failure is logged. (A detector does not start without Redis: the
    start-up check, tests/pipeline/test_startup.py.)"""
    detector = DetectorProcess(settings, "--group-id", group_id)
    try:
        detector.wait_for_output("partitions assigned")
        services("stop", "redis")
        try:
            sent = messages(500)
            produce_keyed(kafka, kafka_topics.transactions, sent)
            wait_until_all_committed(kafka, group_id, kafka_topics.transactions)
            assert detector.terminate() == 0, detector.output
        finally:
            services("start", "redis")
    finally:
        detector.stop()
    assert "live feed broadcast failed" in detector.output
    assert_exactly_once(sent)


@pytest.mark.parametrize(
    "membership",
    [("--instance-id", "detector-1"), ()],
    ids=["static-as-the-procfile-runs-it", "dynamic"],
)
def test_a_broker_outage_past_the_session_timeout_with_a_batch_in_hand(
    settings, kafka_topics, kafka, group_id, capsys, membership
):
    """200 tx/s, a batch waiting on a locked table when the broker goes, the
    broker away longer than the 10 s session timeout. The member is timed
    out: a static one is then usually fenced by its own instance id (the
    broker still maps it to the old member), a dynamic one is unknown.
    Either way the detector catches up by itself and every transaction is
    stored exactly once."""
    port = free_port()
    detector = DetectorProcess(
        settings,
        *("--group-id", group_id, *membership),
        *("--metrics-port", str(port)),
    )
    load = SteadyProducer(kafka, kafka_topics.transactions, rate=200)
    try:
        detector.wait_for_output("partitions assigned")
        load.start()
        wait_until(lambda: stored_count() >= 1_000, 60, "the first rows")
        with table_locked(Transaction) as waiting_on_lock:
            wait_until(lambda: waiting_on_lock() > 0, 30, "a batch on the lock")
            services("stop", "kafka")
            try:
                time.sleep(12)  # the outage: past the session timeout
            finally:
                services("start", "kafka")
            back = time.monotonic()
            wait_until(
                lambda: answers(kafka.committed, group_id, kafka_topics.transactions),
                120,
                "the group coordinator back",
            )
            time.sleep(2)  # the database stays stalled a little longer
        time.sleep(5)  # steady load after the outage
        sent = load.stop()
        try:
            wait_until(lambda: stored_count() >= len(sent), 120, "every row")
        except AssertionError as error:
            stalled = f"{stored_count()} of {len(sent)} stored"
            raise AssertionError(f"{error}: {stalled}\n{detector.output}") from None
        caught_up = time.monotonic() - back
        wait_until_all_committed(kafka, group_id, kafka_topics.transactions)
        status, health = detector_health(port)
        assert status == 200, health
        assert detector.terminate() == 0, detector.output
    finally:
        if load.is_alive():
            load.stop()
        detector.stop()
        services("start", "kafka")
    assert_exactly_once(sent)
    rebuilds = detector.output.count("building new clients")
    report(
        capsys,
        f"{'static' if membership else 'dynamic'} membership, "
        f"{len(sent)} produced at 200/s, broker down 12 s with a batch on a "
        f"locked table: all stored once {caught_up:.1f} s after the broker "
        f"was back (clients rebuilt {rebuilds} times)",
    )
