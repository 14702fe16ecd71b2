"""The tutorial's detector loop, the baseline of ``make bench``, against
the real broker: it reads our producer's lz4-compressed messages, routes
each by the tutorial's rule (``amount >= 900`` to the fraud topic, at and
just below the limit) and reports its rate."""

import ast
import subprocess
import sys

import pytest
from confluent_kafka import Producer

from benchmarks.baselines import tutorial_rate
from benchmarks.tutorial_loop import FRAUD_TOPIC, LEGIT_TOPIC
from transactions_app.connections import kafka_connection

pytestmark = pytest.mark.integration

AMOUNTS = (899.99, 900, 12.5, 4000)


def produce(topic: str) -> None:
    producer = Producer(kafka_connection().config() | {"compression.type": "lz4"})
    for amount in AMOUNTS:
        value = (
            f'{{"source": "a", "target": "b", "amount": {amount}, "currency": "EUR"}}'
        )
        producer.produce(topic, value.encode())
    assert producer.flush(30) == 0


def test_each_message_is_printed_with_the_topic_of_its_rule(kafka_topics):
    topic = kafka_topics.transactions
    produce(topic)
    bootstrap = kafka_connection().config()["bootstrap.servers"]
    command = [sys.executable, "-m", "benchmarks.tutorial_loop", "--topic", topic]
    command += ["--count", str(len(AMOUNTS)), "--bootstrap-servers", bootstrap]
    command += ["--group-id", f"{topic}.test"]
    loop = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert loop.returncode == 0, loop.stderr
    printed = {}
    for line in loop.stdout.splitlines():
        routed_to, _, transaction = line.partition(" ")
        printed[ast.literal_eval(transaction)["amount"]] = routed_to
    assert printed == {
        899.99: LEGIT_TOPIC,
        900: FRAUD_TOPIC,
        12.5: LEGIT_TOPIC,
        4000: FRAUD_TOPIC,
    }
    done, seconds = loop.stderr.splitlines()[-1].split()
    assert int(done) == len(AMOUNTS) and float(seconds) >= 0


def test_its_rate_is_measured_over_the_messages_asked_for(kafka_topics):
    produce(kafka_topics.transactions)
    assert tutorial_rate(kafka_topics.transactions, len(AMOUNTS)) > 0
