"""``RecoveringDetector``: a detector whose Kafka client died is replaced
by a fresh one, a bounded number of times (pure, no broker: stand-in
detectors that fail as the real one does)."""

import pytest
from django.core.management.base import CommandError

from transactions_app.connections import kafka_failures_end_the_command
from transactions_app.streaming.kafka import KafkaClientFailed
from transactions_app.streaming.recovery import RecoveringDetector


class StandIn:
    """Fails with a dead client ``failures`` times across its instances,
    then runs until shut down, counting as the real detector does."""

    def __init__(self, plan: list[str], built: list) -> None:
        self.plan, self.processed, self.dead_letters = plan, 10, 1
        self.shutdown = False
        built.append(self)

    def run(self) -> None:
        step = self.plan.pop(0)
        if step == "dies":
            raise KafkaClientFailed("consumer: Static consumer fenced")
        if step == "broken":
            raise ValueError("a bug")

    def signal_shutdown(self) -> None:
        self.shutdown = True


def recovering(plan, **bounds):
    built: list[StandIn] = []
    clock = bounds.pop("clock", lambda: 0.0)
    detector = RecoveringDetector(lambda: StandIn(plan, built), clock=clock, **bounds)
    return detector, built


def test_a_dead_client_is_replaced_by_fresh_ones():
    detector, built = recovering(["dies", "dies", "stops"], max_rebuilds=2)
    detector.run()
    assert len(built) == 3
    assert (detector.processed, detector.dead_letters) == (30, 3)


def test_past_the_bound_the_error_ends_the_process():
    """At most ``max_rebuilds`` within the window: one more failure is
    raised, for the supervisor to restart the process."""
    detector, built = recovering(["dies", "dies", "dies"], max_rebuilds=2)
    with pytest.raises(CommandError, match="fenced"):
        with kafka_failures_end_the_command():  # as rundetector runs it
            detector.run()
    assert len(built) == 3


def test_rebuilds_older_than_the_window_no_longer_count():
    times = iter([0.0, 100.0, 701.0, 702.0])
    detector, built = recovering(
        ["dies", "dies", "dies", "stops"],
        max_rebuilds=2,
        window=600.0,
        clock=lambda: next(times),
    )
    detector.run()
    assert len(built) == 4


def test_other_errors_are_not_rebuilt():
    detector, built = recovering(["broken", "stops"])
    with pytest.raises(ValueError, match="a bug"):
        detector.run()
    assert len(built) == 1


def test_shutdown_reaches_the_running_detector_and_stops_rebuilding():
    detector, built = recovering(["dies", "stops"])
    detector._start()  # a detector is running
    detector.signal_shutdown()
    assert built[0].shutdown
    detector, built = recovering(["dies", "stops"])
    detector.signal_shutdown()  # asked to stop: a dead client is not rebuilt
    with pytest.raises(KafkaClientFailed):
        detector.run()
    assert len(built) == 1 and built[0].shutdown
