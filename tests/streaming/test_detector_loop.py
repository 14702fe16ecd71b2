"""The detector loop's ordering, with an in-memory consumer and producer:
offsets are committed only after the batch is stored and every result is
acknowledged. (The real broker is exercised by test_rundetector.)"""

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from tests.streaming.fakes import (
    NOW,
    FakeMessage,
    InMemoryConsumer,
    InMemoryProducer,
    logging_detector,
    message,
)
from transactions_app.streaming.kafka import KafkaClientFailed
from transactions_app.streaming.records import StoredBatch


def make_detector(batches, *, store=None, fail_delivery=0):
    log = []
    consumer = InMemoryConsumer(batches, log)
    producer = InMemoryProducer(log, fail=fail_delivery)
    detector = logging_detector(consumer, producer, log, store=store)
    return detector, consumer, producer, log


def test_store_then_acknowledge_then_commit_then_broadcast():
    """The steps of a batch happen in the order the guarantee needs."""
    batch = [
        message(10.0, 0),
        message(950.0, 1),
        FakeMessage(b"junk", 2),
        message(20.0, 0, partition=1),
    ]
    detector, _consumer, producer, log = make_detector([batch])
    detector.run()
    assert log == [
        ("subscribe", ("in",)),
        ("stored", 3),
        ("acknowledged", 4),
        ("commit", [(0, 3), (1, 1)]),
        ("broadcast", 3),
        ("close",),
    ]
    topics = [topic for topic, *_ in producer.sent]
    assert sorted(topics) == ["dead", "fraud", "legit", "legit"]


def test_a_database_outage_is_retried_before_anything_is_committed():
    """While storing fails the batch is retried; the commit waits for it."""
    attempts = []

    def flaky_store(batch, dead):
        attempts.append(len(batch))
        if len(attempts) < 3:
            raise ConnectionError("database is down")
        return StoredBatch(new=list(batch), conflicts=[])

    detector, consumer, _producer, log = make_detector(
        [[message(10.0, 0)]], store=flaky_store
    )
    detector.run()
    assert attempts == [1, 1, 1]
    assert [entry[0] for entry in log].count("commit") == 1


def test_shutdown_during_an_outage_commits_nothing():
    """Stopping while the database is down leaves the batch uncommitted, to
    be read again by the next detector."""
    detector = None

    def failing_store(batch, dead):
        detector.signal_shutdown()
        raise ConnectionError("database is down")

    detector, consumer, producer, log = make_detector(
        [[message(10.0, 0)]], store=failing_store
    )
    detector.run()
    assert consumer.committed == []
    assert producer.sent == []


def test_refused_results_are_produced_again_before_the_commit():
    """If Kafka refuses results, the batch is produced again with backoff;
    the offsets are committed only once everything is acknowledged."""
    detector, consumer, producer, log = make_detector(
        [[message(10.0, 0)]], fail_delivery=2
    )
    detector.run()
    steps = [entry[0] for entry in log]
    assert steps == [
        "subscribe",
        "stored",
        "refused",
        "refused",
        "acknowledged",
        "commit",
        "broadcast",
        "close",
    ]
    assert len(producer.sent) == 1


def test_a_permanent_storage_error_stops_the_detector_uncommitted():
    """Errors that are not a database outage are not retried forever."""

    def broken_store(batch, dead):
        raise ValueError("a bug")

    detector, consumer, _producer, log = make_detector(
        [[message(10.0, 0)]], store=broken_store
    )
    with pytest.raises(ValueError, match="a bug"):
        detector.run()
    assert consumer.committed == []
    assert log[-1] == ("close",)


def test_batches_are_committed_in_order_each_after_it_is_stored():
    """The next batch is classified while the writer stores the one before,
    but it is handed over only after that one is committed."""
    batches = [[message(10.0, offset)] for offset in range(3)]
    detector, consumer, _producer, log = make_detector(batches)
    detector.run()
    assert log == [
        ("subscribe", ("in",)),
        *(
            step
            for offset in range(3)
            for step in (
                ("stored", 1),
                ("acknowledged", 1),
                ("commit", [(0, offset + 1)]),
                ("broadcast", 1),
            )
        ),
        ("close",),
    ]


def test_nothing_is_handed_over_or_committed_after_a_batch_that_stopped():
    """A shutdown while the database is down leaves that batch uncommitted,
    and the batch read meanwhile is neither stored nor committed: its
    offsets would cover the one that was not stored."""
    detector, attempts = None, []

    def failing_store(batch, dead):
        attempts.append([item.origin.offset for item in batch])
        detector.signal_shutdown()
        raise ConnectionError("database is down")

    detector, consumer, producer, log = make_detector(
        [[message(10.0, 0)], [message(20.0, 1)]], store=failing_store
    )
    detector.run()
    assert attempts == [[0]]
    assert consumer.committed == []
    assert producer.sent == []


def test_an_error_on_the_writer_stops_the_loop_uncommitted():
    """What stops the writer reaches ``run``; no later batch is stored."""
    stored = []

    def store_then_break(batch, dead):
        stored.append(len(batch))
        raise ValueError("a bug")

    detector, consumer, _producer, _log = make_detector(
        [[message(10.0, 0)], [message(20.0, 1)], [message(30.0, 2)]],
        store=store_then_break,
    )
    with pytest.raises(ValueError, match="a bug"):
        detector.run()
    assert stored == [1]
    assert consumer.committed == []


class RevokingConsumer(InMemoryConsumer):
    """Takes the partitions away on the poll after the first batch, as a
    rebalance does (the callback runs inside ``consume``)."""

    def subscribe(self, topics, on_assign=None, on_revoke=None, on_lost=None):
        super().subscribe(topics)
        self.on_revoke = on_revoke

    def consume(self, num_messages, timeout):
        if self.batches:
            return self.batches.pop(0)
        if self.on_revoke is not None:
            self.log.append(("revoke",))
            self.on_revoke(self, [TopicPartition("in", 0)])
            self.log.append(("revoked",))
            self.on_revoke = None
        return []


def test_a_rebalance_commits_the_batch_in_hand_before_the_partitions_go():
    detector, _consumer, _producer, log = make_detector([])
    consumer = RevokingConsumer([[message(10.0, 0)]], log)
    detector._consumer = consumer
    detector.run()
    steps = [entry[0] for entry in log]
    assert steps.index("revoke") < steps.index("commit") < steps.index("revoked")
    assert [(tp.partition, tp.offset) for tp in consumer.committed] == [(0, 1)]


class UnreadableTimestamp(FakeMessage):
    def timestamp(self):
        raise OverflowError("timestamp out of range")


def test_any_error_reading_a_message_makes_a_dead_letter():
    """Even an unexpected error on one message never stops the detector."""
    batch = [UnreadableTimestamp(b"{}", 0), message(10.0, 1)]
    detector, consumer, producer, _log = make_detector([batch])
    detector.run()
    topics = sorted(topic for topic, *_ in producer.sent)
    assert topics == ["dead", "legit"]
    dead_headers = dict(next(h for t, _k, _v, h in producer.sent if t == "dead"))
    assert dead_headers["deadletter.error"].startswith(b"undecodable: OverflowError")
    assert [(tp.partition, tp.offset) for tp in consumer.committed] == [(0, 2)]


def test_dead_letters_keep_the_bytes_and_say_why():
    detector, _consumer, producer, _log = make_detector([[FakeMessage(b"\xff", 5)]])
    detector.run()
    [(topic, key, value, headers)] = producer.sent
    assert (topic, key, value) == ("dead", b"k", b"\xff")
    headers = dict(headers)
    assert headers["deadletter.error"].startswith(b"not UTF-8")
    assert headers["deadletter.offset"] == b"5"
    assert headers["deadletter.partition"] == b"0"
    assert headers["deadletter.topic"] == b"in"
    assert headers["deadletter.time"] == NOW.isoformat().encode()


class ErrorMessage(FakeMessage):
    """What ``consume`` returns for an event instead of a message."""

    def __init__(self, error):
        super().__init__(None, -1)
        self._error = error

    def error(self):
        return self._error


def test_a_fatal_consumer_error_ends_the_loop_for_new_clients():
    """librdkafka reports a dead consumer as a ``_FATAL`` event that
    confluent-kafka does not flag ``fatal()``; the loop must not poll a dead
    consumer for ever: it closes and raises, and reads nothing more."""
    fatal = KafkaError(KafkaError._FATAL, "Fatal error: Static consumer fenced")
    detector, consumer, _producer, log = make_detector(
        [[ErrorMessage(fatal)], [message(20.0, 1)]]
    )
    with pytest.raises(KafkaClientFailed, match="Static consumer fenced"):
        detector.run()
    assert len(consumer.batches) == 1  # the next batch was never read
    assert consumer.committed == []
    assert log == [("subscribe", ("in",)), ("close",)]


def test_an_error_event_that_is_not_fatal_is_skipped():
    transient = KafkaError(KafkaError._TRANSPORT, "broker down")
    detector, consumer, _producer, _log = make_detector(
        [[ErrorMessage(transient), message(10.0, 0)]]
    )
    detector.run()
    assert [(tp.partition, tp.offset) for tp in consumer.committed] == [(0, 1)]


class FencedConsumer(InMemoryConsumer):
    """Refuses commits as a static member fenced by its instance id."""

    def __init__(self, batches, log, code):
        super().__init__(batches, log)
        self.code = code

    def commit(self, offsets, asynchronous):
        raise KafkaException(KafkaError(self.code, "Commit failed"))


def test_a_fenced_commit_ends_the_loop_for_new_clients():
    """A commit refused with ``FENCED_INSTANCE_ID`` means the consumer is
    dead: the loop raises instead of logging and reading on."""
    detector, _consumer, _producer, log = make_detector([])
    detector._consumer = FencedConsumer(
        [[message(10.0, 0)], [message(20.0, 1)]], log, KafkaError.FENCED_INSTANCE_ID
    )
    with pytest.raises(KafkaClientFailed, match="offset commit"):
        detector.run()
    assert [step[0] for step in log].count("stored") == 1
    assert log[-1] == ("close",)


def test_a_commit_refused_in_a_rebalance_is_only_logged(caplog):
    """Partitions taken by a rebalance: the new owner reads the batch again."""
    detector, _consumer, _producer, log = make_detector([])
    detector._consumer = FencedConsumer(
        [[message(10.0, 0)]], log, KafkaError.UNKNOWN_MEMBER_ID
    )
    detector.run()
    assert "offset commit failed" in caplog.text
    assert log[-1] == ("close",)


class DeadOnClose(InMemoryConsumer):
    def close(self):
        super().close()
        raise KafkaException(KafkaError(KafkaError._FATAL, "dead"))


def test_a_dead_consumer_refusing_to_close_does_not_hide_the_error():
    fatal = KafkaError(KafkaError._FATAL, "fenced")
    detector, _consumer, _producer, log = make_detector([])
    detector._consumer = DeadOnClose([[ErrorMessage(fatal)]], log)
    with pytest.raises(KafkaClientFailed, match="fenced"):
        detector.run()
    assert log[-1] == ("close",)


class DeadProducer(InMemoryProducer):
    """An idempotent producer librdkafka declared dead: its error callback
    raises out of every flush."""

    def flush(self, timeout=None):
        raise KafkaClientFailed("Fatal error: Local: Inconsistent state")


def test_a_dead_producer_ends_the_loop_uncommitted():
    """The writer's error reaches ``run``; closing the dead producer again
    does not hide it."""
    detector, consumer, _producer, log = make_detector([])
    detector._delivery._producer = DeadProducer(log)
    detector._consumer = InMemoryConsumer([[message(10.0, 0)]], log)
    with pytest.raises(KafkaClientFailed, match="Inconsistent state"):
        detector.run()
    assert detector._consumer.committed == []
    assert log[-1] == ("close",)


def test_committed_offsets_are_stored_so_the_lag_counts_from_them():
    """After each commit the consumer is told the committed offsets (its
    stored offsets), from which its statistics count the lag; an offset
    whose commit failed is not stored."""
    batches = [[message(10, 0), message(20, 1, partition=1)], [message(30, 2)]]
    detector, consumer, _producer, _log = make_detector(batches)
    detector.run()
    assert consumer.stored == {0: 3, 1: 2}


def judging_logged(detector, log):
    """Log each batch the detector judges, as ("judged", size)."""
    judge = detector.detection.judge_batch

    def logged(batch):
        log.append(("judged", len(batch)))
        return judge(batch)

    detector.detection.judge_batch = logged


JUDGED, FIRST, SECOND = ("judged", 1), ("commit", [(0, 1)]), ("commit", [(0, 2)])


@pytest.mark.parametrize(
    ("batch_size", "order"),
    [(500, [JUDGED, FIRST, JUDGED, SECOND]), (1, [JUDGED, JUDGED, FIRST, SECOND])],
    ids=["batches not full: one after the other", "full: overlapped"],
)
def test_the_batch_in_hand_is_committed_first_unless_batches_come_full(
    batch_size, order
):
    """A batch smaller than the batch size means the stream is not
    saturated: the batch in hand is committed before the new one is
    judged, so its commit waits for its own writing only (latency). Full
    batches overlap: the next is judged while the writer stores the one
    before (throughput)."""
    log = []
    consumer = InMemoryConsumer([[message(10.0, 0)], [message(10.0, 1)]], log)
    detector = logging_detector(
        consumer, InMemoryProducer(log), log, batch_size=batch_size
    )
    judging_logged(detector, log)
    detector.run()
    assert [step for step in log if step[0] in ("judged", "commit")] == order
