"""The live page in a real browser: Debian's Chromium driven by Playwright,
against daphne serving the ASGI app, with a real detector and Kafka."""

import asyncio
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest
from channels.layers import get_channel_layer

from tests.streaming.detector_process import ROOT, DetectorProcess, detector_env
from transactions_app.live_feed.services import LIVE_FEED_GROUP

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_rules"),
]

ARTIFACTS = ROOT / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "a-Long-test-passw0rd"
# How long Playwright waits for an event before the test fails: a bound on
# a failure, generous for a loaded machine, never a pause.
WAIT_MS = 60_000


def broadcast(event: dict) -> None:
    """Send a live feed event through the real Redis channel layer, from a
    thread of its own (Playwright's sync API owns this thread's loop)."""
    event = {"type": "transactions.batch"} | event
    worker = threading.Thread(
        target=lambda: asyncio.run(
            get_channel_layer().group_send(LIVE_FEED_GROUP, event)
        )
    )
    worker.start()
    worker.join(10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_text(page, selector: str, text: str) -> None:
    """Wait until the element shows exactly ``text`` (Playwright re-checks
    on every animation frame: an event, not a pause)."""
    page.wait_for_function(
        "([selector, text]) => document.querySelector(selector).textContent === text",
        arg=[selector, text],
    )


def feed_item(transaction_id: str, outcome: str) -> dict:
    """A live feed item as the detector broadcasts it."""
    return {
        "transaction_id": transaction_id,
        "source": "s",
        "target": "t",
        "amount": "1.00",
        "currency": "EUR",
        "timestamp": "2026-11-29T10:00:00+00:00",
        "outcome": outcome,
        "score": 0,
        "reasons": [],
    }


def counts(*outcomes: str) -> dict:
    tally = {"legit": 0, "review": 0, "fraud": 0}
    for outcome in outcomes:
        tally[outcome] += 1
    return tally


@pytest.fixture(autouse=True)
def orm_beside_playwright(monkeypatch):
    """Playwright's sync API runs an event loop in this thread; the tests'
    own database calls are still plain synchronous ones."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


class WebServer:
    """daphne serving the ASGI app on this test's database and topics."""

    def __init__(self, settings) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = detector_env(settings)
        self.process = None
        self.start()

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(self.port),
            "fraudsite.asgi:application",
        ]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 90  # bounds a failure, on a loaded machine
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("daphne did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def server(settings, kafka_topics):
    web_server = WebServer(settings)
    yield web_server
    web_server.stop()


@pytest.fixture
def web(server):
    return server.url


@pytest.fixture
def page(web, django_user_model):
    from playwright.sync_api import sync_playwright

    django_user_model.objects.create_user("analyst", password=PASSWORD, is_staff=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(WAIT_MS)
        page.dialogs = []
        page.on(
            "dialog",
            lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()),
        )
        page.goto(web + "/")
        page.fill("#id_username", "analyst")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_selector("#connection-state[data-state=live]")
        yield page
        browser.close()


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


def row_count(page) -> int:
    return page.evaluate("document.querySelectorAll('#feed-rows tr').length")


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
