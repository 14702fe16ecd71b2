"""The detector loop's ordering, with an in-memory consumer and producer:
offsets are committed only after the batch is stored and every result is
acknowledged. (The real broker is exercised by test_rundetector.)"""

import json
from datetime import UTC, datetime

import pytest

from transactions_app.detection import default_engine
from transactions_app.streaming.detector import DeliveryFailed, Detector, DetectorTopics

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TOPICS = DetectorTopics("in", "legit", "fraud", "dead")


class FakeMessage:
    def __init__(self, value, offset, partition=0):
        self._value, self._offset, self._partition = value, offset, partition

    def error(self):
        return None

    def value(self):
        return self._value

    def key(self):
        return b"k"

    def headers(self):
        return None

    def topic(self):
        return "in"

    def partition(self):
        return self._partition

    def offset(self):
        return self._offset

    def timestamp(self):
        return (1, 1767225600000)


class InMemoryConsumer:
    def __init__(self, batches, log):
        self.batches, self.log = list(batches), log
        self.committed = []

    def subscribe(self, topics, on_assign=None, on_revoke=None):
        self.log.append(("subscribe", tuple(topics)))

    def consume(self, num_messages, timeout):
        return self.batches.pop(0) if self.batches else []

    def commit(self, offsets, asynchronous):
        self.log.append(("commit", [(tp.partition, tp.offset) for tp in offsets]))
        self.committed.extend(offsets)

    def close(self):
        self.log.append(("close",))


class InMemoryProducer:
    def __init__(self, log, fail=False):
        self.log, self.fail, self.pending, self.sent = log, fail, [], []

    def produce(self, topic, key, value, on_delivery, headers=None):
        self.pending.append((topic, key, value, headers, on_delivery))

    def poll(self, timeout=0):
        pass

    def flush(self, timeout=None):
        for topic, key, value, headers, on_delivery in self.pending:
            self.sent.append((topic, key, value, headers))
            on_delivery("broker down" if self.fail else None, FakeMessage(value, 0))
        if self.pending:
            self.log.append(("acknowledged", len(self.pending)))
        self.pending = []
        return 0


def message(amount, offset, partition=0):
    document = {
        "source": "a1B2c3D4e5F6",
        "target": "Z9y8X7w6V5u4",
        "amount": amount,
        "currency": "EUR",
    }
    return FakeMessage(json.dumps(document).encode(), offset, partition)


def make_detector(batches, *, store=None, fail_delivery=False):
    log = []
    consumer = InMemoryConsumer(batches, log)
    producer = InMemoryProducer(log, fail=fail_delivery)

    def default_store(batch):
        log.append(("stored", len(batch)))
        return list(batch)

    detector = Detector(
        consumer=consumer,
        producer=producer,
        topics=TOPICS,
        classify=default_engine(clock=lambda: NOW).classify,
        store=store or default_store,
        broadcast=lambda rows: log.append(("broadcast", len(rows))),
        exit_when_idle=0,
        now=lambda: NOW,
    )
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


def test_a_database_outage_is_retried_before_anything_is_committed(monkeypatch):
    """While storing fails the batch is retried; the commit waits for it."""
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    attempts = []

    def flaky_store(batch):
        attempts.append(len(batch))
        if len(attempts) < 3:
            raise ConnectionError("database is down")
        return list(batch)

    detector, consumer, _producer, log = make_detector(
        [[message(10.0, 0)]], store=flaky_store
    )
    detector.run()
    assert attempts == [1, 1, 1]
    assert [entry[0] for entry in log].count("commit") == 1


def test_shutdown_during_an_outage_commits_nothing(monkeypatch):
    """Stopping while the database is down leaves the batch uncommitted, to
    be read again by the next detector."""
    detector = None

    def failing_store(batch):
        detector.signal_shutdown()
        raise ConnectionError("database is down")

    detector, consumer, producer, log = make_detector(
        [[message(10.0, 0)]], store=failing_store
    )
    detector.run()
    assert consumer.committed == []
    assert producer.sent == []


def test_a_rejected_result_stops_the_detector_without_committing():
    """If Kafka refuses a result the batch is not committed."""
    detector, consumer, _producer, _log = make_detector(
        [[message(10.0, 0)]], fail_delivery=True
    )
    with pytest.raises(DeliveryFailed, match="broker down"):
        detector.run()
    assert consumer.committed == []


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
