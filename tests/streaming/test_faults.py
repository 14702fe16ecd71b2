"""Faults against the real services: a killed detector, two detectors with
one dying, a database outage, a broker restart (also one that outlasts the
session timeout while a batch waits on the database), Redis down. In every
case each transaction ends up stored exactly once."""

import time

import pytest
from django.db import connection

from tests.streaming.detector_process import DetectorProcess, assigned_detector
from tests.streaming.outages import (
    SteadyProducer,
    answers,
    assert_exactly_once,
    detector_health,
    free_port,
    messages,
    produce_keyed,
    report,
    services,
    stopped,
    stored_count,
    table_locked,
    wait_until,
    wait_until_all_committed,
)
from transactions_app.models import Transaction

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_rules"),
]


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
    with assigned_detector(settings, "--group-id", group_id) as detector:
        with stopped("postgres"):
            sent = messages(2_000)
            produce_keyed(kafka, kafka_topics.transactions, sent)
            time.sleep(20)  # the outage
            uncommitted = kafka.uncommitted(group_id, kafka_topics.transactions, 3)
        connection.close()  # the test's own connection died with it
        assert sum(uncommitted.values()) == len(sent), "committed while down"
        wait_until_all_committed(kafka, group_id, kafka_topics.transactions)
        assert detector.terminate() == 0, detector.output
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
    report_catch_up(
        capsys, detector, "broker restarted (down 3 s): all committed", caught_up
    )


def test_classification_goes_on_while_redis_is_down(
    settings, kafka_topics, kafka, group_id
):
    """Redis going away while the detector runs: the live feed cannot be
    sent, but every transaction is classified and stored; the broadcast
    failure is logged. (A detector does not start without Redis: the
    start-up check, tests/pipeline/test_startup.py.)"""
    with assigned_detector(settings, "--group-id", group_id) as detector:
        with stopped("redis"):
            sent = messages(500)
            produce_keyed(kafka, kafka_topics.transactions, sent)
            wait_until_all_committed(kafka, group_id, kafka_topics.transactions)
            assert detector.terminate() == 0, detector.output
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
    report_catch_up(
        capsys,
        detector,
        f"{'static' if membership else 'dynamic'} membership, "
        f"{len(sent)} produced at 200/s, broker down 12 s with a batch on a "
        "locked table: all stored once",
        caught_up,
    )


def report_catch_up(capsys, detector, what: str, caught_up: float) -> None:
    """Print how long after the broker's return ``what`` was true, and how
    often the detector had to build new clients to get there."""
    rebuilds = detector.output.count("building new clients")
    report(
        capsys,
        f"{what} {caught_up:.1f} s after the broker was back "
        f"(clients rebuilt {rebuilds} times)",
    )
