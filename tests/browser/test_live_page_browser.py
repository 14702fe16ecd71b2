"""The live page in a real browser: Debian's Chromium driven by Playwright,
against daphne serving the ASGI app, with a real detector and Kafka: rows,
text only, filters, access, load, the link to admin."""

import time
import uuid

import pytest

from tests.browser.live_page import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    broadcast,
    counts,
    feed_item,
    wait_for_text,
)
from tests.streaming.detector_process import DetectorProcess

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_rules"),
]


def test_rows_appear_as_the_detector_classifies_them(
    page, settings, kafka_topics, kafka, group_id, capsys
):
    """Transactions produced to Kafka show up as rows, with their outcome in
    text; the produce-to-row latency is measured; a screenshot is kept."""
    detector = DetectorProcess(settings, "--group-id", group_id)
    try:
        detector.wait_for_output("partitions assigned")
        documents = [
            {
                "transaction_id": str(uuid.uuid4()),
                "source": "a1B2c3D4e5F6",
                "target": "Z9y8X7w6V5u4",
                "amount": amount,
                "currency": "EUR",
            }
            for amount in (12.5, 950.0, 80.0)
        ]
        sent_at = time.monotonic()
        kafka.produce(kafka_topics.transactions, documents, key=b"a1B2c3D4e5F6")
        for document in documents:
            page.wait_for_selector(
                f'tr[data-transaction-id="{document["transaction_id"]}"]',
            )
        latency = time.monotonic() - sent_at
    finally:
        detector.terminate()
    fraud_row = page.locator(
        f'tr[data-transaction-id="{documents[1]["transaction_id"]}"]'
    )
    assert "fraud" in fraud_row.inner_text()
    assert "950.00 EUR" in fraud_row.inner_text()
    # Whether the rows came in frames or in a snapshot (a reconnect, a slow
    # first query), the counters count them, once.
    wait_for_text(page, "#count-total", "3")
    assert page.inner_text("#count-flagged") == "1"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "live-page.png"), full_page=True)
    with capsys.disabled():
        print(
            f"\n  measured: produce to row in the browser: {latency:.2f} s "
            "(3 transactions)"
        )


def test_values_are_shown_as_text_and_nothing_executes(page):
    """A feed event whose fields carry script and markup (as a compromised
    producer upstream of validation might send) is shown literally: no
    dialog opens, no element is created from it."""
    payloads = {
        "transaction_id": "<img src=x onerror=alert(1)>",
        "source": "<script>alert(2)</script>",
        "target": '"><svg onload=alert(3)>',
        "amount": "<b>1</b>",
        "currency": "EUR",
        "timestamp": "<i>now</i>",
        "outcome": "fraud",
        "score": "<u>99</u>",
        "reasons": ["<iframe src=javascript:alert(4)>"],
    }
    broadcast(
        {
            "transactions": [payloads],
            "counts": {"legit": 0, "review": 0, "fraud": 1},
        }
    )
    row = page.wait_for_selector("tr[data-outcome=fraud]")
    text = row.inner_text()
    assert "<script>alert(2)</script>" in text
    assert "<img src=x onerror=alert(1)>" in text
    assert "<iframe src=javascript:alert(4)>" in text
    assert (
        page.query_selector_all(
            "#feed-rows img, #feed-rows svg, #feed-rows iframe, #feed-rows script"
        )
        == []
    )
    broadcast(
        {"transactions": [feed_item("later", "legit")], "counts": counts("legit")}
    )
    page.wait_for_selector('tr[data-transaction-id="later"]')  # handled in order
    assert page.dialogs == []


def test_filters_pause_and_a_narrow_screen(page):
    """Fraud-only hides other rows; pause holds new rows back until resumed;
    at 375 px the page needs no horizontal scrolling."""

    def send(outcome: str, tid: str) -> None:
        broadcast(
            {"transactions": [feed_item(tid, outcome)], "counts": counts(outcome)}
        )

    send("legit", "row-legit")
    send("fraud", "row-fraud")
    page.wait_for_selector('tr[data-transaction-id="row-fraud"]')
    page.click("button[data-filter=fraud]")
    assert not page.is_visible('tr[data-transaction-id="row-legit"]')
    assert page.is_visible('tr[data-transaction-id="row-fraud"]')
    page.click("button[data-filter=all]")
    page.click("#pause")
    send("legit", "row-held")
    wait_for_text(page, "#count-total", "3")  # the frame came and was counted
    assert page.query_selector('tr[data-transaction-id="row-held"]') is None
    page.click("#pause")
    page.wait_for_selector('tr[data-transaction-id="row-held"]')
    page.set_viewport_size({"width": 375, "height": 800})
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 376
    page.keyboard.press("Tab")  # focus moves through the controls
    assert page.evaluate("document.activeElement.tagName") in {"A", "BUTTON", "TR"}


def test_anonymous_browsers_get_the_login_page(web):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.goto(web + "/")
        assert "/admin/login/" in page.url
        browser.close()


def test_the_page_keeps_up_with_ten_thousand_transactions_a_second(page, capsys):
    """Ten seconds of 10,000 transactions a second (batches of 500, twenty a
    second, as detectors send them): the browser gets at most about ten
    frames a second, the DOM stays bounded, and the page still answers."""
    frames = []
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda payload: frames.append(payload)),
    )
    page.reload()
    page.wait_for_selector("#connection-state[data-state=live]")
    heap_before = page.evaluate("performance.memory.usedJSHeapSize")
    item = {
        "transaction_id": "t",
        "source": "s",
        "target": "t",
        "amount": "5.00",
        "currency": "EUR",
        "timestamp": "2026-11-29T10:00:00+00:00",
        "outcome": "legit",
        "score": 0,
        "reasons": [],
    }
    started = time.monotonic()
    for _ in range(200):
        broadcast(
            {
                "transactions": [item] * 100,
                "counts": {"legit": 490, "review": 5, "fraud": 5},
            }
        )
        time.sleep(max(0.0, started + (_ + 1) / 20 - time.monotonic()))
    wait_for_text(page, "#count-total", "100,000")
    elapsed = time.monotonic() - started
    rows = page.evaluate("document.querySelectorAll('#feed-rows tr').length")
    heap_after = page.evaluate("performance.memory.usedJSHeapSize")
    answered = time.monotonic()
    page.click("#pause")
    response = time.monotonic() - answered
    rate = len(frames) / elapsed
    with capsys.disabled():
        print(
            f"\n  measured: 10,000 tx/s for {elapsed:.1f} s: {len(frames)} frames "
            f"({rate:.1f}/s), {rows} rows in the DOM, JS heap "
            f"{heap_before / 2**20:.1f} -> {heap_after / 2**20:.1f} MiB, "
            f"a click answered in {response * 1000:.0f} ms"
        )
    assert rate <= 12
    assert rows <= 200


def test_a_row_opens_the_transaction_in_admin(page, web, django_user_model):
    """Clicking a row, or Enter on it, opens that transaction's admin page."""
    from tests.factories import stored_transaction

    analyst = django_user_model.objects.get(username="analyst")
    analyst.is_superuser = True
    analyst.save()
    row = stored_transaction("fraud")
    page.reload()
    selector = f'tr[data-transaction-id="{row.transaction_id}"]'
    page.wait_for_selector(selector)
    page.focus(selector)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/admin/transactions_app/transaction/{row.pk}/change/")
    assert str(row.transaction_id) in page.content()
