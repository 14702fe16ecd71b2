"""What a downstream consumer of the legit and fraud topics gets through
SIGKILLs and a rebalance: every stored transaction routed, and how many
results it sees twice."""

import time

import pytest

from tests.streaming.detector_process import DetectorProcess
from tests.streaming.output_topics import routed_counts
from tests.streaming.test_faults import (
    assert_exactly_once,
    messages,
    produce_keyed,
    report,
    stored_count,
)

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


def test_results_survive_kills_and_a_rebalance_at_least_once(
    settings, kafka_topics, kafka, group_id, capsys
):
    """A detector killed twice mid-stream, and a second one joining and
    being killed: every transaction is stored once and has a result on the
    output topics; results produced again for batches that were stored but
    not committed are counted and reported."""
    sent = messages(30_000)
    produce_keyed(kafka, kafka_topics.transactions, sent)
    topic = kafka_topics.transactions

    def detector(instance: str) -> DetectorProcess:
        return DetectorProcess(
            settings, "--group-id", group_id, "--instance-id", instance
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
    counts = routed_counts(kafka.config, kafka_topics)
    missing = {m["transaction_id"] for m in sent} - set(counts)
    assert not missing, f"{len(missing)} transactions were never routed"
    duplicates = sum(n - 1 for n in counts.values())
    report(
        capsys,
        f"{len(sent)} transactions through 2 kills and a rebalance: "
        f"{duplicates} results seen twice on the output topics",
    )
