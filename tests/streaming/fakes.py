"""In-memory stand-ins for confluent-kafka's consumer, producer and
messages, for the detector loop's tests (the real broker is exercised by
the integration tests): they record what the loop did in a shared
``log``."""

import json
from datetime import UTC, datetime

from confluent_kafka import KafkaException

from transactions_app.detection import default_engine
from transactions_app.streaming.detector import Detector
from transactions_app.streaming.ports import DetectorTopics, EngineDetection
from transactions_app.streaming.records import StoredBatch

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
        self.stored = {}  # the offsets stored once committed, per partition

    def subscribe(self, topics, on_assign=None, on_revoke=None, on_lost=None):
        self.log.append(("subscribe", tuple(topics)))

    def consume(self, num_messages, timeout):
        return self.batches.pop(0) if self.batches else []

    def commit(self, offsets, asynchronous):
        self.log.append(("commit", [(tp.partition, tp.offset) for tp in offsets]))
        self.committed.extend(offsets)

    def store_offsets(self, offsets):
        self.stored |= {tp.partition: tp.offset for tp in offsets}

    def close(self):
        self.log.append(("close",))


class InMemoryProducer:
    """Acknowledges on flush; refuses everything in the first ``fail``
    flushes, like a broker that is briefly unavailable."""

    def __init__(self, log, fail=0):
        self.log, self.fail, self.pending, self.sent = log, fail, [], []

    def produce(self, topic, key, value, on_delivery, headers=None):
        self.pending.append((topic, key, value, headers, on_delivery))

    def poll(self, timeout=0):
        pass

    def flush(self, timeout=None):
        refuse = self.fail > 0
        for topic, key, value, headers, on_delivery in self.pending:
            if not refuse:
                self._acknowledged((topic, key, value, headers))
            on_delivery("broker down" if refuse else None, FakeMessage(value, 0))
        if self.pending:
            self.log.append(
                ("refused" if refuse else "acknowledged", len(self.pending))
            )
            self.fail -= refuse
        self.pending = []
        return 0

    def _acknowledged(self, produced) -> None:
        self.sent.append(produced)


class TransactionalProducer(InMemoryProducer):
    """Messages become visible (``sent``) and offsets committed only when
    a transaction commits; an abort discards both. ``fail_flushes``
    refuses every message of the first flushes; ``errors`` maps "offsets"
    or "commit" to the errors raised by successive calls."""

    def __init__(self, log, *, fail_flushes=0, errors=None):
        super().__init__(log, fail=fail_flushes)
        self.errors = {name: list(queue) for name, queue in (errors or {}).items()}
        self.in_transaction = []
        self.transaction_offsets, self.committed_offsets = [], {}

    def init_transactions(self, timeout):
        self.log.append(("init_transactions",))

    def begin_transaction(self):
        self.log.append(("begin",))
        self.in_transaction, self.transaction_offsets = [], []

    def _acknowledged(self, produced) -> None:
        self.in_transaction.append(produced)

    def send_offsets_to_transaction(self, offsets, group_metadata, timeout):
        positions = [(tp.partition, tp.offset) for tp in offsets]
        self.log.append(("offsets", group_metadata, positions))
        self._fail_maybe("offsets")
        self.transaction_offsets = offsets

    def commit_transaction(self, timeout):
        self.log.append(("commit_transaction",))
        self._fail_maybe("commit")
        self.sent.extend(self.in_transaction)
        for tp in self.transaction_offsets:
            self.committed_offsets[(tp.topic, tp.partition)] = tp.offset

    def abort_transaction(self, timeout):
        self.log.append(("abort",))
        self.in_transaction, self.transaction_offsets = [], []

    def _fail_maybe(self, call):
        if self.errors.get(call):
            raise KafkaException(self.errors[call].pop(0))


def message(amount, offset, partition=0):
    document = {
        "source": "a1B2c3D4e5F6",
        "target": "Z9y8X7w6V5u4",
        "amount": amount,
        "currency": "EUR",
    }
    return FakeMessage(json.dumps(document).encode(), offset, partition)


def logging_detector(consumer, producer, log, *, store=None, **options) -> Detector:
    """A detector over ``consumer`` and ``producer`` with the default rules
    on a fixed clock, that logs each batch stored (unless ``store`` is
    given) and broadcast, stops once idle, and retries at once; ``options``
    go to ``Detector`` and override those defaults."""

    def logged_store(batch, dead):
        log.append(("stored", len(batch)))
        return StoredBatch(new=list(batch), conflicts=[])

    defaults = {"exit_when_idle": 0, "retry_delay": 0.001, "now": lambda: NOW}
    return Detector(
        consumer=consumer,
        producer=producer,
        topics=TOPICS,
        detection=EngineDetection(default_engine(clock=lambda: NOW)),
        store=store or logged_store,
        broadcast=lambda rows: log.append(("broadcast", len(rows))),
        **(defaults | options),
    )
