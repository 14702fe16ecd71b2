"""The producer loop's pacing and accounting, with an in-memory producer
and a simulated clock (the real broker is exercised by test_runproducer)."""

import json
from datetime import UTC, datetime

import pytest

from transactions_app.simulation.generator import SeedProfile
from transactions_app.simulation.producer import TransactionProducer

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class SimulatedClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class InMemoryProducer:
    """Accepts messages, acknowledges them on poll/flush, and lets time pass
    on poll(timeout) like a real client waiting."""

    def __init__(self, clock, fail=False, capacity=None):
        self.clock, self.fail, self.capacity = clock, fail, capacity
        self.pending, self.sent = [], []

    def produce(self, topic, key, value, on_delivery, headers=None):
        if self.capacity is not None and len(self.pending) >= self.capacity:
            raise BufferError("queue full")
        self.pending.append((topic, key, value, on_delivery))

    def poll(self, timeout=0):
        self.clock.now += timeout
        self._deliver()

    def flush(self, timeout=None):
        self._deliver()
        return 0

    def _deliver(self):
        for topic, key, value, on_delivery in self.pending:
            self.sent.append((topic, key, value))
            on_delivery("broker said no" if self.fail else None, Message(topic))
        self.pending = []


class Message:
    def __init__(self, topic):
        self._topic = topic

    def topic(self):
        return self._topic


def make_loop(producer, clock, *, rate, count):
    return TransactionProducer(
        producer=producer,
        topic="queuing.transactions",
        generate=SeedProfile(seed=1, clock=lambda: NOW),
        rate=rate,
        count=count,
        clock=clock,
    )


def test_sends_count_messages_keyed_by_source():
    clock = SimulatedClock()
    producer = InMemoryProducer(clock)
    stats = make_loop(producer, clock, rate=None, count=25).run()
    assert (stats.sent, stats.delivered, stats.failed) == (25, 25, 0)
    assert len(producer.sent) == 25
    for _topic, key, value in producer.sent:
        assert json.loads(value)["source"] == key.decode()


def test_paces_to_the_requested_rate():
    """At 2/s, 10 transactions take about 4.5 simulated seconds (the first
    goes out at once)."""
    clock = SimulatedClock()
    make_loop(InMemoryProducer(clock), clock, rate=2.0, count=10).run()
    assert clock.now == pytest.approx(4.5, abs=0.11)


def test_a_full_local_queue_waits_instead_of_failing():
    clock = SimulatedClock()
    producer = InMemoryProducer(clock, capacity=3)
    stats = make_loop(producer, clock, rate=None, count=20).run()
    assert stats.delivered == 20


def test_delivery_failures_are_counted():
    clock = SimulatedClock()
    stats = make_loop(
        InMemoryProducer(clock, fail=True), clock, rate=None, count=5
    ).run()
    assert stats.failed == 5
    assert stats.last_error == "broker said no"


def test_shutdown_stops_sending_and_flushes():
    clock = SimulatedClock()
    producer = InMemoryProducer(clock)
    loop = make_loop(producer, clock, rate=None, count=None)
    original = producer.produce

    def produce_then_stop(*args, **kwargs):
        original(*args, **kwargs)
        if len(producer.pending) + len(producer.sent) == 7:
            loop.signal_shutdown()

    producer.produce = produce_then_stop
    stats = loop.run()
    assert stats.sent == stats.delivered == 7
