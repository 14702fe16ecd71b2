"""A consumer that delivers nothing while messages wait on its partitions
is stuck, whatever the cause: the loop ends for new clients after
``starved_after`` seconds of it instead of idling while lag grows; silence
with nothing to read (or no statistics yet) is no fault."""

import pytest

from tests.streaming.fakes import (
    InMemoryConsumer,
    InMemoryProducer,
    logging_detector,
    message,
)
from transactions_app.streaming.kafka import KafkaClientFailed
from transactions_app.streaming.records import StoredBatch


class ScriptedConsumer(InMemoryConsumer):
    """Delivers ``batches`` one per poll, each poll a second later on
    ``clock``, then asks the detector to stop."""

    def __init__(self, batches, log, clock):
        super().__init__(batches, log)
        self.clock, self.detector = clock, None

    def consume(self, num_messages, timeout):
        self.clock[0] += 1.0
        if not self.batches:
            self.detector.signal_shutdown()
        return super().consume(num_messages, timeout)


def scripted_detector(batches, *, waiting):
    """A detector on a clock that only its consumer's polls move."""
    clock, log = [0.0], []
    consumer = ScriptedConsumer(batches, log, clock)
    detector = logging_detector(
        consumer,
        InMemoryProducer(log),
        log,
        store=lambda batch, dead: StoredBatch(new=list(batch), conflicts=[]),
        waiting=waiting,
        starved_after=60.0,
        exit_when_idle=None,
        clock=lambda: clock[0],
    )
    consumer.detector = detector
    return detector, consumer, log


def test_a_consumer_delivering_nothing_while_messages_wait_ends_the_loop():
    """Polling and fetching nothing for a minute with messages waiting on
    its partitions is a stuck consumer: the loop raises for new clients
    (closing the old ones) instead of idling while lag grows."""
    detector, _consumer, log = scripted_detector([[]] * 61, waiting=lambda: 7)
    with pytest.raises(KafkaClientFailed, match="7 messages wait"):
        detector.run()
    assert ("close",) in log


@pytest.mark.parametrize("waiting", [0, None], ids=["caught-up", "lag-unknown"])
def test_a_consumer_with_nothing_waiting_may_stay_silent(waiting):
    """Nothing to read, or no statistics yet: silence is no fault."""
    detector, _consumer, log = scripted_detector([[]] * 200, waiting=lambda: waiting)
    detector.run()
    assert ("close",) in log


def test_silence_counts_from_the_last_message_delivered():
    """A message delivered resets the count: 50 silent seconds, a message,
    then 50 more are no fault."""
    batches = [[]] * 50 + [[message(10, 0)]] + [[]] * 50
    detector, consumer, _log = scripted_detector(batches, waiting=lambda: 3)
    detector.run()
    assert consumer.stored == {0: 1}
