"""What a downstream consumer of the legit and fraud topics gets through
SIGKILLs and a rebalance: with exactly-once (DETECTOR_EXACTLY_ONCE), a
``read_committed`` reader sees each stored transaction's result exactly
once; a ``read_uncommitted`` reader also sees the results of transactions
that were aborted, and how many is reported."""

import time

import pytest

from tests.streaming.detector_process import DetectorProcess
from tests.streaming.outages import (
    assert_exactly_once,
    messages,
    produce_keyed,
    report,
    services,
    stored_count,
    table_locked,
    wait_until_all_committed,
)
from tests.streaming.output_topics import routed_counts
from transactions_app.models import Transaction

EXACTLY_ONCE = {"DETECTOR_EXACTLY_ONCE": "true"}

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_rules"),
]


def wait_for(predicate, what: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def assert_routed_exactly_once(kafka, topics, sent) -> int:
    """Each transaction has exactly one result for a ``read_committed``
    reader; returns how many more a ``read_uncommitted`` one sees."""
    counts = routed_counts(kafka.config, topics)
    missing = {m["transaction_id"] for m in sent} - set(counts)
    assert not missing, f"{len(missing)} transactions were never routed"
    twice = {key: n for key, n in counts.items() if n > 1}
    assert not twice, f"{len(twice)} results seen more than once: {twice}"
    uncommitted = routed_counts(kafka.config, topics, isolation="read_uncommitted")
    return sum(uncommitted.values()) - len(sent)


def test_results_survive_kills_and_a_rebalance_exactly_once(
    settings, kafka_topics, kafka, group_id, capsys
):
    """A detector killed twice mid-stream, and a second one joining and
    being killed: every transaction is stored once and has exactly one
    result for a read_committed reader."""
    sent = messages(30_000)
    produce_keyed(kafka, kafka_topics.transactions, sent)
    topic = kafka_topics.transactions

    def detector(instance: str) -> DetectorProcess:
        return DetectorProcess(
            settings, "--group-id", group_id, "--instance-id", instance, **EXACTLY_ONCE
        )

    first = detector("one")
    try:
        wait_for(lambda: stored_count() >= 3_000, "the first rows")
        first.kill()
        first = detector("one")  # back with the same id: no rebalance wait
        second = detector("two")  # joins: a rebalance moves partitions
        try:
            at_join = stored_count()
            wait_for(lambda: stored_count() >= at_join + 3_000, "rows after the join")
            second.kill()  # its partitions come back after the session timeout
        finally:
            second.stop()
        wait_for(lambda: not kafka.uncommitted(group_id, topic, 3), "every commit")
        assert first.terminate() == 0, first.output
    finally:
        first.stop()

    assert_exactly_once(sent)
    aborted = assert_routed_exactly_once(kafka, kafka_topics, sent)
    report(
        capsys,
        f"{len(sent)} transactions through 2 kills and a rebalance: 0 results "
        f"seen twice by a read_committed reader; a read_uncommitted one sees "
        f"{aborted} more (from aborted transactions)",
    )


def test_a_batch_stored_but_not_committed_when_killed_is_routed_once(
    settings, kafka_topics, kafka, group_id, capsys
):
    """The detector stores a batch, cannot commit its transaction (the
    broker is down) and is SIGKILLed: a new detector reads the batch again,
    storage skips it, and its results are seen once."""
    sent = messages(20_000)
    produce_keyed(kafka, kafka_topics.transactions, sent)
    topic = kafka_topics.transactions
    args = ("--group-id", group_id, "--instance-id", "one")
    detector = DetectorProcess(settings, *args, **EXACTLY_ONCE)
    try:
        wait_for(lambda: stored_count() >= 2_000, "the first rows")
        with table_locked(Transaction, "EXCLUSIVE") as waiting:  # reads go on
            wait_for(lambda: waiting() > 0, "a batch waiting on the table")
            at_lock = stored_count()
            services("stop", "kafka")  # the batch's transaction cannot commit
        wait_for(lambda: stored_count() > at_lock, "the waiting batch stored")
        in_hand = stored_count()
        assert in_hand < len(sent), "everything was stored before the outage"
        detector.kill()
        services("start", "kafka")
        detector = DetectorProcess(settings, *args, **EXACTLY_ONCE)
        wait_until_all_committed(kafka, group_id, topic)
        assert detector.terminate() == 0, detector.output
    finally:
        detector.stop()
        services("start", "kafka")

    assert_exactly_once(sent)
    aborted = assert_routed_exactly_once(kafka, kafka_topics, sent)
    report(
        capsys,
        f"a batch stored ({in_hand - at_lock} rows) but not committed when "
        f"killed: each result seen once by a read_committed reader; a "
        f"read_uncommitted one sees {aborted} more",
    )
