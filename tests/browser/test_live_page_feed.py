"""The live page's feed in a real browser: counters that agree with the
rows whatever the order, reconnecting by itself, and payloads from Kafka
shown as text."""

import uuid

import pytest

from tests.browser.live_page import (
    WAIT_MS,
    broadcast,
    counts,
    feed_item,
    row_count,
    wait_for_text,
)
from tests.streaming.detector_process import DetectorProcess

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_rules"),
]


def test_the_counters_agree_with_the_rows_whatever_the_order(page):
    """Rows stored before the page connected come in the snapshot and are
    counted; a later frame adds its own; a frame that carries again a
    transaction the snapshot had (stored just before the snapshot was read,
    broadcast after) shows and counts it once."""
    from tests.factories import stored_transaction
    from transactions_app.live_feed.services import live_feed_item

    stored = [stored_transaction("legit"), stored_transaction("fraud")]
    page.reload()
    wait_for_text(page, "#count-total", "2")
    assert page.inner_text("#count-flagged") == "1"
    assert row_count(page) == 2

    broadcast(
        {"transactions": [feed_item("after", "review")], "counts": counts("review")}
    )
    page.wait_for_selector('tr[data-transaction-id="after"]')
    wait_for_text(page, "#count-total", "3")
    assert page.inner_text("#count-flagged") == "2"

    overlapping = live_feed_item(stored[1])
    broadcast(
        {
            "transactions": [overlapping, feed_item("also-after", "legit")],
            "counts": counts("fraud", "legit"),
        }
    )
    page.wait_for_selector('tr[data-transaction-id="also-after"]')
    wait_for_text(page, "#count-total", "4")
    assert page.inner_text("#count-flagged") == "2"
    assert page.inner_text("#fraud-rate") == "25.0%"
    selector = f'tr[data-transaction-id="{overlapping["transaction_id"]}"]'
    assert len(page.query_selector_all(selector)) == 1
    assert row_count(page) == 4


def test_the_page_reconnects_by_itself(page, server):
    """When the server goes away the page says it is reconnecting, and it
    is live again once the server is back; the new snapshot replaces the
    rows, and the counters start again from it, so they still agree."""
    from tests.factories import stored_transaction

    broadcast(
        {"transactions": [feed_item("not-stored", "legit")], "counts": counts("legit")}
    )
    wait_for_text(page, "#count-total", "1")
    stored = stored_transaction("fraud")
    server.stop()
    page.wait_for_selector("#connection-state[data-state^=reconnecting]")
    server.start()
    # The page's backoff may have grown to 30 s while daphne was away.
    page.wait_for_selector("#connection-state[data-state=live]", timeout=2 * WAIT_MS)
    page.wait_for_selector(f'tr[data-transaction-id="{stored.transaction_id}"]')
    wait_for_text(page, "#count-flagged", "1")
    assert page.inner_text("#count-total") == "1"
    assert row_count(page) == 1


def test_xss_payloads_sent_through_kafka_never_reach_the_page(
    page, settings, kafka_topics, kafka, group_id
):
    """Messages whose fields carry script are rejected by validation (they
    become dead letters); the page shows only the valid message, and nothing
    executes. (What the page does with such text if it ever arrived is the
    literal-text test above.)"""
    from transactions_app.models import DeadLetter

    valid = {
        "transaction_id": str(uuid.uuid4()),
        "source": "a1B2c3D4e5F6",
        "target": "Z9y8X7w6V5u4",
        "amount": 5.0,
        "currency": "EUR",
    }
    hostile = [
        valid
        | {"transaction_id": str(uuid.uuid4()), "source": "<script>alert(1)</script>"},
        valid
        | {
            "transaction_id": str(uuid.uuid4()),
            "target": "<img src=x onerror=alert(2)>",
        },
        valid | {"transaction_id": str(uuid.uuid4()), "currency": "<b>"},
    ]
    detector = DetectorProcess(settings, "--group-id", group_id)
    try:
        detector.wait_for_output("partitions assigned")
        kafka.produce(kafka_topics.transactions, [*hostile, valid], key=b"k")
        page.wait_for_selector(f'tr[data-transaction-id="{valid["transaction_id"]}"]')
    finally:
        detector.terminate()
    assert DeadLetter.objects.count() == 3
    assert page.query_selector_all("#feed-rows tr") and all(
        "<" not in row.inner_text() for row in page.query_selector_all("#feed-rows tr")
    )
    assert page.dialogs == []
