"""The lag a detector reports (its metric, the health check and its
starvation check read it), against a real broker and in both delivery
modes: counted from what is committed, so zero once a detector has
committed everything, also when a transaction committed the offsets and
also for a group that had committed offsets before it started."""

import json
import time
import uuid

import pytest

from tests.streaming.detector_thread import detector_thread
from transactions_app.streaming import metrics

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_rules"),
]


def transactions(count: int) -> list[bytes]:
    return [
        json.dumps(
            {
                "transaction_id": str(uuid.uuid4()),
                "source": f"acct{i % 37:08d}",
                "target": f"dest{i % 41:08d}",
                "amount": 10.0 + i,
                "currency": "EUR",
            }
        ).encode()
        for i in range(count)
    ]


def wait_for_lag(expected: int, *, within: float = 60.0) -> None:
    """Wait for a statistics report (every 5 s) with the lag ``expected``;
    the bound is for a failure only."""
    deadline = time.monotonic() + within
    while metrics.current_lag() != expected:
        assert time.monotonic() < deadline, (
            f"the lag is {metrics.current_lag()}, not {expected}, after {within} s"
        )
        time.sleep(0.2)


@pytest.mark.parametrize("exactly_once", [True, False], ids=["transactions", "commits"])
def test_the_lag_is_zero_once_everything_is_committed(
    settings, kafka_topics, kafka, group_id, exactly_once
):
    settings.DETECTOR_EXACTLY_ONCE = exactly_once
    topic = kafka_topics.transactions
    kafka.produce(topic, transactions(300))
    with detector_thread(group_id=group_id) as detector:
        detector.wait_until_done(kafka)
        wait_for_lag(0)
    kafka.produce(topic, transactions(300))  # a second detector resumes
    with detector_thread(group_id=group_id) as detector:
        detector.wait_until_done(kafka)
        wait_for_lag(0)
