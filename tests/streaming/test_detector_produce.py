"""What the detector does with messages Kafka refuses, with in-memory
clients: a refusal never stops it, only what was refused is produced again,
and a dead letter refused for its size goes in its minimal form."""

import pytest
from confluent_kafka import KafkaError, KafkaException

from tests.streaming.fakes import FakeMessage, InMemoryProducer, message
from tests.streaming.test_detector_loop import make_detector
from transactions_app.streaming.kafka import KafkaClientFailed


def size(key, value, headers) -> int:
    headers = headers or []
    return len(key or b"") + len(value or b"") + sum(len(v) for _, v in headers)


class LimitedProducer(InMemoryProducer):
    """Refuses in ``produce`` what exceeds ``limit`` bytes, as librdkafka
    does past ``message.max.bytes``; acknowledges the rest on flush."""

    def __init__(self, log, limit):
        super().__init__(log)
        self.limit = limit

    def produce(self, topic, key, value, on_delivery, headers=None):
        if size(key, value, headers) > self.limit:
            raise KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE))
        super().produce(topic, key, value, on_delivery, headers)


class RefusingProducer(InMemoryProducer):
    """Reports ``refusals[topic]`` errors, one per flush, in the delivery
    callback of the messages to ``topic``, as the broker does."""

    def __init__(self, log, refusals):
        super().__init__(log)
        self.refusals = refusals

    def flush(self, timeout=None):
        for topic, key, value, headers, on_delivery in self.pending:
            errors = self.refusals.get(topic) or []
            if errors:
                on_delivery(errors.pop(0), FakeMessage(value, 0))
            else:
                self.sent.append((topic, key, value, headers))
                on_delivery(None, FakeMessage(value, 0))
        self.pending = []
        return 0


def run_with(producer_class, batches, **options):
    detector, consumer, _producer, log = make_detector(batches)
    producer = producer_class(log, **options)
    detector._delivery._producer = producer
    detector.run()
    return consumer, producer


def committed(consumer) -> list[tuple[int, int]]:
    return [(tp.partition, tp.offset) for tp in consumer.committed]


def dead_headers(producer) -> list[dict]:
    return [dict(h) for topic, _k, _v, h in producer.sent if topic == "dead"]


def test_a_dead_letter_too_large_for_the_producer_goes_in_its_minimal_form():
    """produce() raising MSG_SIZE_TOO_LARGE stops nothing: the dead letter
    goes as its deadletter.* headers alone, the next batch is processed
    and every offset is committed."""
    batches = [[FakeMessage(b"x" * 5000, 0)], [message(10.0, 1)]]
    consumer, producer = run_with(LimitedProducer, batches, limit=2000)
    [(topic, key, value, headers)] = [m for m in producer.sent if m[0] == "dead"]
    assert (key, value) == (None, None)
    headers = dict(headers)
    assert headers["deadletter.offset"] == b"0"
    assert headers["deadletter.original-size"] == b"5000"
    assert headers["deadletter.refused"]
    assert [m[0] for m in producer.sent] == ["dead", "legit"]
    assert committed(consumer) == [(0, 1), (0, 2)]


def test_a_dead_letter_the_broker_refuses_for_its_size_goes_in_its_minimal_form():
    """A permanent refusal in the delivery report is handled the same way,
    without a backoff; the rest of the batch is not produced again."""
    too_large = KafkaError(KafkaError.MSG_SIZE_TOO_LARGE)
    batch = [FakeMessage(b"junk", 0), message(10.0, 1)]
    consumer, producer = run_with(
        RefusingProducer, [batch], refusals={"dead": [too_large]}
    )
    assert sorted(m[0] for m in producer.sent) == ["dead", "legit"]
    [headers] = dead_headers(producer)
    assert headers["deadletter.refused"]
    assert committed(consumer) == [(0, 2)]


def test_a_refused_minimal_form_is_dropped_and_the_detector_goes_on():
    """The table keeps the letter (it is stored first); the topic cannot."""
    too_large = KafkaError(KafkaError.MSG_SIZE_TOO_LARGE)
    batches = [[FakeMessage(b"junk", 0)], [message(10.0, 1)]]
    consumer, producer = run_with(
        RefusingProducer, batches, refusals={"dead": [too_large, too_large]}
    )
    assert [m[0] for m in producer.sent] == ["legit"]
    assert committed(consumer) == [(0, 1), (0, 2)]


def test_only_the_refused_results_are_produced_again():
    """A transient refusal of one result re-produces that one alone: each
    result reaches its topic once, and the batch is committed after."""
    down = KafkaError(KafkaError._MSG_TIMED_OUT)
    batch = [message(10.0, 0), message(20.0, 1), message(950.0, 2)]
    consumer, producer = run_with(
        RefusingProducer, [batch], refusals={"fraud": [down, down]}
    )
    assert sorted(m[0] for m in producer.sent) == ["fraud", "legit", "legit"]
    assert committed(consumer) == [(0, 3)]


class FlakyProduceProducer(InMemoryProducer):
    """``produce`` raises ``error`` the first ``times`` calls."""

    def __init__(self, log, error, times):
        super().__init__(log)
        self.error, self.times = error, times

    def produce(self, topic, key, value, on_delivery, headers=None):
        if self.times > 0:
            self.times -= 1
            raise KafkaException(self.error)
        super().produce(topic, key, value, on_delivery, headers)


def test_a_transient_error_from_produce_is_retried_with_backoff():
    error = KafkaError(KafkaError._UNKNOWN_PARTITION)
    consumer, producer = run_with(
        FlakyProduceProducer, [[message(10.0, 0)]], error=error, times=2
    )
    assert [m[0] for m in producer.sent] == ["legit"]
    assert committed(consumer) == [(0, 1)]


def test_a_fatal_producer_error_stops_the_detector_uncommitted():
    """A fatal error makes the producer unusable: the detector stops with
    the client declared dead (to be built anew), the batch uncommitted, so
    it is read again."""
    error = KafkaError(KafkaError._FATAL, "fenced", fatal=True)
    detector, consumer, _producer, log = make_detector([[message(10.0, 0)]])
    detector._delivery._producer = FlakyProduceProducer(log, error=error, times=1)
    with pytest.raises(KafkaClientFailed, match="producer: fenced"):
        detector.run()
    assert consumer.committed == []
