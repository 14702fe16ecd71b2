"""Rate control of the live feed: batch events merge into at most ten
frames a second per client, with counts added up on the server."""

import pytest

from transactions_app.live_feed.frames import FrameBuffer
from transactions_app.live_feed.services import MAX_ITEMS_PER_EVENT


def event(n: int, outcome: str = "legit") -> dict:
    return {"transactions": [{"n": i} for i in range(n)], "counts": {outcome: n}}


def test_events_between_frames_are_merged():
    frames = FrameBuffer(interval=0.1)
    frames.add(event(3))
    frames.add(event(2, "fraud"))
    frame = frames.take(now=10.0)
    assert frame["type"] == "batch"
    assert len(frame["transactions"]) == 5
    assert frame["counts"] == {"legit": 3, "review": 0, "fraud": 2}


def test_a_frame_holds_only_the_newest_transactions_but_every_count():
    frames = FrameBuffer(interval=0.1)
    for _ in range(50):
        frames.add(event(40))
    frame = frames.take(now=1.0)
    assert len(frame["transactions"]) == MAX_ITEMS_PER_EVENT
    assert frame["counts"]["legit"] == 2_000


def test_frames_are_spaced_by_the_interval():
    frames = FrameBuffer(interval=0.1)
    assert frames.wait_before_next(now=5.0) == 0.0
    frames.take(now=5.0)
    assert frames.wait_before_next(now=5.03) == pytest.approx(0.07)
    assert frames.wait_before_next(now=5.2) == 0.0


def test_the_latest_detector_lag_travels_with_the_frame():
    frames = FrameBuffer(interval=0.1)
    frames.add(event(1) | {"lag": 40})
    frames.add(event(1) | {"lag": None})
    assert frames.take(now=1.0)["lag"] == 40


def item(transaction_id: str, outcome: str) -> dict:
    return {"transaction_id": transaction_id, "outcome": outcome}


def test_transactions_already_in_the_snapshot_are_neither_sent_nor_counted():
    """An event that carries transactions the client got in its snapshot
    (stored just before the snapshot was read) adds only the others."""
    frames = FrameBuffer(interval=0.1)
    frames.already_sent(["a", "b"])
    frames.add(
        {
            "transactions": [
                item("a", "legit"),
                item("b", "fraud"),
                item("c", "fraud"),
            ],
            "counts": {"legit": 1, "review": 0, "fraud": 2},
        }
    )
    frame = frames.take(now=1.0)
    assert frame["transactions"] == [item("c", "fraud")]
    assert frame["counts"] == {"legit": 0, "review": 0, "fraud": 1}


def test_an_event_wholly_in_the_snapshot_adds_nothing():
    frames = FrameBuffer(interval=0.1)
    frames.already_sent(["a"])
    frames.add({"transactions": [item("a", "review")], "counts": {"review": 1}})
    frame = frames.take(now=1.0)
    assert frame["transactions"] == []
    assert frame["counts"] == {"legit": 0, "review": 0, "fraud": 0}


def test_without_a_snapshot_every_transaction_counts():
    """Snapshot first, event after: nothing in common, nothing left out
    (and an empty snapshot leaves every event whole)."""
    frames = FrameBuffer(interval=0.1)
    frames.already_sent([])
    frames.add({"transactions": [item("a", "legit")], "counts": {"legit": 1}})
    assert frames.take(now=1.0)["counts"]["legit"] == 1


def test_counts_never_go_below_zero():
    """An event whose counts do not cover its items (not what the detector
    sends) is clamped, never negative."""
    frames = FrameBuffer(interval=0.1)
    frames.already_sent(["a"])
    frames.add({"transactions": [item("a", "fraud")], "counts": {"legit": 3}})
    assert frames.take(now=1.0)["counts"] == {"legit": 3, "review": 0, "fraud": 0}


def test_lag_comes_from_the_kafka_client_statistics():
    import json

    from transactions_app.streaming import metrics

    stats = {
        "topics": {
            "queuing.transactions": {
                "partitions": {
                    "0": {"consumer_lag": 5},
                    "1": {"consumer_lag": 7},
                    "-1": {"consumer_lag": 99},
                }
            }
        }
    }
    metrics.record_statistics(json.dumps(stats))
    assert metrics.current_lag() >= 12
