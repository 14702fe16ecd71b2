"""The detector loop with exactly-once output, with an in-memory consumer
and transactional producer: each batch's results and offsets are one
transaction, the consumer never commits, and whatever goes wrong either
commits the batch once or leaves it to be read again. (The real broker is
exercised by test_output_guarantee.)"""

import threading

import pytest
from confluent_kafka import OFFSET_INVALID, KafkaError, TopicPartition

from tests.streaming.fakes import (
    InMemoryConsumer,
    TransactionalProducer,
    logging_detector,
    message,
)
from transactions_app.streaming import delivery
from transactions_app.streaming.delivery import replace_refused
from transactions_app.streaming.kafka import KafkaClientFailed
from transactions_app.streaming.outgoing import Outgoing


class GroupConsumer(InMemoryConsumer):
    """Owns partition 0 and 1 and never commits: its committed offsets are
    those the producer's transactions committed, and ``seek`` reads the
    messages from that offset on again."""

    def __init__(self, batches, log, producer):
        super().__init__(batches, log)
        del self.committed  # the method below, as on a real consumer
        self.producer, self.read = producer, []

    def commit(self, offsets, asynchronous):
        raise AssertionError("with exactly-once the consumer never commits")

    def consume(self, num_messages, timeout):
        batch = super().consume(num_messages, timeout)
        self.read.extend(batch)
        return batch

    def consumer_group_metadata(self):
        return "generation 1"

    def assignment(self):
        return [TopicPartition("in", 0), TopicPartition("in", 1)]

    def committed(self, partitions, timeout=None):
        offsets = self.producer.committed_offsets
        return [
            TopicPartition(tp.topic, tp.partition, offsets.get(key, OFFSET_INVALID))
            for tp in partitions
            for key in [(tp.topic, tp.partition)]
        ]

    def seek(self, tp):
        self.log.append(("seek", tp.partition, tp.offset))
        again = [
            m
            for m in self.read
            if m.partition() == tp.partition and m.offset() >= max(tp.offset, 0)
        ]
        self.read = [m for m in self.read if m not in again]
        self.batches.insert(0, again)


def run_transactional(batches, **producer_options):
    log = []
    producer = TransactionalProducer(log, **producer_options)
    consumer = GroupConsumer(batches, log, producer)
    detector = logging_detector(consumer, producer, log, exactly_once=True)
    return detector, consumer, producer, log


def error(code, **flags):
    return KafkaError(code, f"{code} for the test", **flags)


def test_results_and_offsets_are_one_transaction_and_the_consumer_never_commits():
    """The batch is stored, then its results and offsets are committed
    together, with the group metadata of the consumer that read it."""
    batch = [message(10.0, 0), message(950.0, 1), message(20.0, 0, partition=1)]
    detector, consumer, producer, log = run_transactional([batch])
    detector.run()
    assert log == [
        ("init_transactions",),
        ("subscribe", ("in",)),
        ("stored", 3),
        ("begin",),
        ("acknowledged", 3),
        ("offsets", "generation 1", [(0, 2), (1, 1)]),
        ("commit_transaction",),
        ("broadcast", 3),
        ("close",),
    ]
    assert producer.committed_offsets == {("in", 0): 2, ("in", 1): 1}
    assert consumer.stored == {0: 2, 1: 1}  # the lag counts from them
    assert sorted(topic for topic, *_ in producer.sent) == ["fraud", "legit", "legit"]


def test_a_delivery_error_aborts_and_the_batch_goes_again_in_a_new_transaction():
    """Refused messages abort the transaction; the whole batch is produced
    again, so each result is committed once."""
    detector, _consumer, producer, log = run_transactional(
        [[message(10.0, 0), message(20.0, 1)]], fail_flushes=1
    )
    detector.run()
    steps = [entry[0] for entry in log]
    assert steps[2:] == [
        "stored",
        "begin",
        "refused",
        "abort",
        "begin",
        "acknowledged",
        "offsets",
        "commit_transaction",
        "broadcast",
        "close",
    ]
    assert len(producer.sent) == 2


def test_an_abortable_commit_error_aborts_and_commits_in_a_new_transaction():
    detector, _consumer, producer, log = run_transactional(
        [[message(10.0, 0)]],
        errors={"commit": [error(KafkaError._TIMED_OUT, txn_requires_abort=True)]},
    )
    detector.run()
    steps = [entry[0] for entry in log]
    assert steps.count("abort") == 1
    assert steps.count("commit_transaction") == 2
    assert len(producer.sent) == 1
    assert producer.committed_offsets == {("in", 0): 1}


def test_a_retriable_commit_error_commits_again_without_aborting():
    detector, _consumer, producer, log = run_transactional(
        [[message(10.0, 0)]],
        errors={"commit": [error(KafkaError._TIMED_OUT, retriable=True)]},
    )
    detector.run()
    steps = [entry[0] for entry in log]
    assert "abort" not in steps
    assert steps.count("commit_transaction") == 2
    assert len(producer.sent) == 1


def test_offsets_refused_after_a_rebalance_drop_the_batch_and_the_loop_goes_on():
    """The group refuses the offsets of a generation it no longer has: the
    batch is aborted, the batch read after it is not handed over, and both
    are read again from the committed offsets; each result is committed
    once and the detector keeps going."""
    refused = error(KafkaError.ILLEGAL_GENERATION, txn_requires_abort=True)
    batches = [[message(10.0, 0)], [message(20.0, 1)], [message(30.0, 2)]]
    detector, consumer, producer, log = run_transactional(
        batches, errors={"offsets": [refused]}
    )
    detector.run()
    assert ("abort",) in log
    assert ("seek", 0, -2) in log  # nothing committed yet: from the start
    committed = [entry[2] for entry in log if entry[0] == "offsets"]
    assert committed == [[(0, 1)], [(0, 2)], [(0, 3)]]
    assert producer.committed_offsets == {("in", 0): 3}
    assert consumer.stored == {0: 3}  # never the dropped batch's offsets alone
    assert len({key for _topic, key, *_ in producer.sent}) == len(producer.sent) == 3


def test_a_fatal_error_raises_for_new_clients_with_nothing_committed():
    """A fenced producer is dead: the loop ends for new clients, nothing is
    committed and the open transaction is aborted on close."""
    fenced = error(KafkaError._FENCED, fatal=True)
    detector, consumer, producer, log = run_transactional(
        [[message(10.0, 0)]], errors={"commit": [fenced]}
    )
    with pytest.raises(KafkaClientFailed, match="transactional producer"):
        detector.run()
    assert producer.sent == []
    assert producer.committed_offsets == {}
    assert log[-2:] == [("abort",), ("close",)]


class HangingOffsetsProducer(TransactionalProducer):
    """``send_offsets_to_transaction`` never returns (until ``release``),
    as librdkafka's was seen to after a broker restart, past its timeout."""

    def __init__(self, log):
        super().__init__(log)
        self.release = threading.Event()

    def send_offsets_to_transaction(self, offsets, group_metadata, timeout):
        self.log.append(("offsets", group_metadata, "hangs"))
        self.release.wait(30)


def test_a_hung_offsets_call_ends_the_loop_even_while_nothing_arrives(monkeypatch):
    """The hung call is found while the loop polls beside the writer, not
    only when a new batch makes it wait for the writer: the consumer, held
    by that very transaction's pending offsets, may deliver nothing, and the
    detector would otherwise stay alive and idle for ever."""
    monkeypatch.setattr(delivery, "STUCK_AFTER", 0.2)
    log = []
    producer = HangingOffsetsProducer(log)
    consumer = GroupConsumer([[message(10.0, 0)]], log, producer)
    detector = logging_detector(consumer, producer, log, exactly_once=True)
    try:
        with pytest.raises(KafkaClientFailed, match="hangs past its timeout"):
            detector.run()
    finally:
        producer.release.set()
    assert producer.committed_offsets == {}
    assert log[-1] == ("close",)


def test_a_call_that_keeps_timing_out_ends_the_loop_for_new_clients(monkeypatch):
    """A retriable error is retried, but not for ever: after a broker
    restart the coordinator request of a commit was seen to time out again
    and again. Past ``STUCK_AFTER`` the producer counts as dead, with
    nothing committed, and new clients take over."""
    monkeypatch.setattr(delivery, "STUCK_AFTER", 0.2)
    timeouts = [error(KafkaError._TIMED_OUT, retriable=True)] * 10_000
    detector, _consumer, producer, _log = run_transactional(
        [[message(10.0, 0)]], errors={"commit": timeouts}
    )
    with pytest.raises(KafkaClientFailed, match="keeps failing after 0 s"):
        detector.run()
    assert producer.sent == []
    assert producer.committed_offsets == {}


def test_a_refused_dead_letter_is_replaced_by_its_minimal_form_in_the_new_batch():
    """After an abort the whole batch goes again, in order, with what Kafka
    refused for its size replaced and what it refused for a moment kept."""
    minimal = Outgoing("dead", key=None, value=None, required=False)
    letter = Outgoing("dead", key=b"k", value=b"x" * 10, fallback=minimal)
    result = Outgoing("legit", key=b"1", value=b"{}")
    late = Outgoing("fraud", key=b"2", value=b"{}")
    too_large = error(KafkaError.MSG_SIZE_TOO_LARGE)
    down = error(KafkaError._TRANSPORT)
    batch, transient = replace_refused(
        [result, letter, late], [(letter, too_large), (late, down)]
    )
    assert batch == [result, minimal, late]
    assert transient == [(late, down)]
