"""The detector's health: unhealthy once it has not polled, or has not
committed while behind, for longer than the limit (a mocked clock), and
served as ``/healthz`` beside the metrics on a real port."""

import json
import urllib.error
import urllib.request

import pytest

from transactions_app.streaming import metrics
from transactions_app.streaming.metrics import Liveness, serve_metrics


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def liveness(lag=None):
    clock = Clock()
    return Liveness(stall_seconds=60, lag=lambda: lag, clock=clock), clock


def test_a_loop_that_polls_and_commits_is_healthy():
    health, clock = liveness(lag=500)
    clock.now += 60
    assert health.report() == {
        "status": "ok",
        "seconds_since_poll": 60.0,
        "seconds_since_commit": 60.0,
        "lag": 500,
    }


def test_a_loop_that_stopped_polling_is_unhealthy_just_past_the_limit():
    health, clock = liveness(lag=0)
    clock.now += 60.1
    report = health.report()
    assert report["status"] == "unhealthy"
    assert report["reason"] == "no poll of Kafka for 60 s"


def test_no_commit_while_behind_is_unhealthy_just_past_the_limit():
    health, clock = liveness(lag=1234)
    clock.now += 60.1
    health.polled()
    assert health.report()["reason"] == "no offset committed for 60 s, 1234 behind"
    health.committed()
    assert health.report()["status"] == "ok"


@pytest.mark.parametrize("lag", [0, None], ids=["caught-up", "no-statistics-yet"])
def test_no_commit_with_nothing_to_read_is_healthy(lag):
    health, clock = liveness(lag=lag)
    clock.now += 3600
    health.polled()
    assert health.report()["status"] == "ok"


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_healthz_and_metrics_are_served_on_the_metrics_port():
    health, clock = liveness(lag=7)
    server = serve_metrics(0, "127.0.0.1", health)
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        status, body = fetch(f"{base}/healthz")
        assert (status, json.loads(body)["status"]) == (200, "ok")
        clock.now += 61
        status, body = fetch(f"{base}/healthz")
        assert status == 503
        assert json.loads(body)["reason"] == "no poll of Kafka for 61 s"
        status, body = fetch(f"{base}/metrics")
        assert status == 200 and b"fraud_messages_consumed_total" in body
    finally:
        server.shutdown()
        server.server_close()


def statistics(lags: dict[str, int]) -> str:
    partitions = {p: {"consumer_lag": lag} for p, lag in lags.items()}
    return json.dumps({"topics": {"t.lag": {"partitions": partitions}}})


def test_the_lag_counts_only_the_partitions_of_the_latest_report():
    """A partition lost in a rebalance leaves the lag (and the gauge): stale
    lag would report a detector with idle partitions as stuck."""
    metrics.record_statistics(statistics({"0": 5, "1": 7, "-1": 99}))
    assert metrics.current_lag() == 12
    metrics.record_statistics(statistics({"0": 4, "1": -1}))
    assert metrics.current_lag() == 4
    gauge = {
        (sample.labels["topic"], sample.labels["partition"]): sample.value
        for sample in metrics.LAG.collect()[0].samples
    }
    assert gauge == {("t.lag", "0"): 4}
