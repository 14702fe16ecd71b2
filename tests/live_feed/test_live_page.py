"""The live page and its websocket: staff only, same origin only, and fed
by the detector's batches through the real Redis channel layer."""

import asyncio
import re

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client

from fraudsite.asgi import application
from tests.streaming.detector_thread import run_detector_until_done

pytestmark = pytest.mark.django_db(transaction=True)

WS_PATH = "/ws/transactions/"
# Seconds to wait for a websocket message before failing (a loaded machine).
WAIT = 30


def make_user(username: str, *, staff: bool):
    return get_user_model().objects.create_user(
        username=username, password="x-Long-Passw0rd", is_staff=staff
    )


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def communicator(*, cookie: bytes | None = None, origin: bytes = b"http://localhost"):
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, WS_PATH, headers=headers)


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    """/ redirects an anonymous visitor to the admin login."""
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_non_staff_users_cannot_see_the_page(client):
    """A logged-in user without staff status is sent to log in as staff."""
    client.force_login(make_user("viewer", staff=False))
    assert client.get("/").status_code == 302


def test_staff_see_the_page_with_a_strict_content_security_policy(client):
    """The page loads for staff; its CSP forbids inline script, and the page
    has no inline script and no data in its HTML."""
    client.force_login(make_user("analyst", staff=True))
    response = client.get("/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    html = response.content.decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert 'id="feed-rows" data-filter="all"></tbody>' in html


@pytest.mark.asyncio
async def test_websocket_refuses_anonymous_connections():
    """Without a session the handshake is refused."""
    ws = communicator()
    connected, _ = await ws.connect()
    assert not connected
    await ws.disconnect()


@pytest.mark.asyncio
async def test_websocket_refuses_non_staff_users():
    """A logged-in user without staff status is refused."""
    user = await sync_to_async(make_user)("viewer", staff=False)
    ws = communicator(cookie=await sync_to_async(session_cookie)(user))
    connected, _ = await ws.connect()
    assert not connected
    await ws.disconnect()


@pytest.mark.asyncio
async def test_websocket_refuses_other_origins():
    """A staff session used from a foreign origin is refused."""
    user = await sync_to_async(make_user)("analyst", staff=True)
    cookie = await sync_to_async(session_cookie)(user)
    ws = communicator(cookie=cookie, origin=b"https://evil.example")
    connected, _ = await ws.connect()
    assert not connected
    await ws.disconnect()


@pytest.mark.integration
@pytest.mark.asyncio
@pytest.mark.usefixtures("default_rules")
async def test_staff_receive_a_snapshot_then_the_detectors_batches(
    kafka_topics, kafka, group_id
):
    """On connect a staff client gets the stored transactions, then the
    detector's broadcast of newly classified ones, through Redis."""
    user = await sync_to_async(make_user)("analyst", staff=True)
    ws = communicator(cookie=await sync_to_async(session_cookie)(user))
    connected, _ = await ws.connect()
    assert connected
    snapshot = await ws.receive_json_from(timeout=WAIT)
    assert snapshot == {"type": "snapshot", "transactions": []}

    messages = [
        {
            "source": "a1B2c3D4e5F6",
            "target": "Z9y8X7w6V5u4",
            "amount": 50.0,
            "currency": "EUR",
        },
        {
            "source": "m1N2b3V4c5X6",
            "target": "Z9y8X7w6V5u4",
            "amount": 1900.0,
            "currency": "EUR",
        },
    ]
    await sync_to_async(kafka.produce)(kafka_topics.transactions, messages, key=b"k")
    await sync_to_async(run_detector_until_done)(kafka, group_id=group_id)

    received = []
    while len(received) < 2:
        event = await ws.receive_json_from(timeout=WAIT)
        assert event["type"] == "batch"
        received.extend(event["transactions"])
    by_amount = {item["amount"]: item for item in received}
    assert by_amount["50.00"]["outcome"] == "legit"
    assert by_amount["1900.00"]["outcome"] == "fraud"
    assert by_amount["1900.00"]["reasons"] == ["amount_threshold"]
    assert by_amount["1900.00"]["source"] == "m1N2b3V4c5X6"
    await ws.disconnect()

    late = communicator(cookie=await sync_to_async(session_cookie)(user))
    assert (await late.connect())[0]
    snapshot = await late.receive_json_from(timeout=WAIT)
    assert {t["amount"] for t in snapshot["transactions"]} == {"50.00", "1900.00"}
    await late.disconnect()


@pytest.mark.integration
@pytest.mark.asyncio
async def test_a_flood_of_batches_reaches_a_client_as_at_most_ten_frames_a_second():
    """200 batch events sent at once arrive merged: a handful of frames,
    the counts of all 200 batches added up."""
    from channels.layers import get_channel_layer

    from transactions_app.live_feed.services import LIVE_FEED_GROUP

    user = await sync_to_async(make_user)("analyst", staff=True)
    ws = communicator(cookie=await sync_to_async(session_cookie)(user))
    assert (await ws.connect())[0]
    await ws.receive_json_from(timeout=WAIT)  # the snapshot
    layer = get_channel_layer()
    item = {"transaction_id": "x", "outcome": "legit"}
    started = asyncio.get_running_loop().time()
    for _ in range(200):
        await layer.group_send(
            LIVE_FEED_GROUP,
            {
                "type": "transactions.batch",
                "transactions": [item] * 5,
                "counts": {"legit": 4, "review": 0, "fraud": 1},
            },
        )
    frames = []
    while sum(f["counts"]["legit"] for f in frames) < 800:
        frames.append(await ws.receive_json_from(timeout=WAIT))
    elapsed = asyncio.get_running_loop().time() - started
    await ws.disconnect()
    assert sum(f["counts"]["fraud"] for f in frames) == 200
    assert len(frames) <= 10 * elapsed + 1
    assert all(len(f["transactions"]) <= 100 for f in frames)


@pytest.mark.integration
@pytest.mark.asyncio
async def test_a_batch_both_in_the_snapshot_and_in_an_event_reaches_a_client_once():
    """A batch stored just before the snapshot was read and broadcast after
    the client joined the group comes in both; the frame leaves out, and
    does not count, what the snapshot already had."""
    from channels.layers import get_channel_layer

    from tests.factories import stored_transaction
    from transactions_app.live_feed.services import LIVE_FEED_GROUP, live_feed_item

    user = await sync_to_async(make_user)("analyst", staff=True)
    stored = [
        await sync_to_async(stored_transaction)(outcome)
        for outcome in ("legit", "fraud")
    ]
    ws = communicator(cookie=await sync_to_async(session_cookie)(user))
    assert (await ws.connect())[0]
    snapshot = await ws.receive_json_from(timeout=WAIT)
    in_snapshot = [live_feed_item(row) for row in stored]
    assert snapshot["transactions"] == in_snapshot
    later = in_snapshot[1] | {"transaction_id": "later", "outcome": "review"}
    await get_channel_layer().group_send(
        LIVE_FEED_GROUP,
        {
            "type": "transactions.batch",
            "transactions": [*in_snapshot, later],
            "counts": {"legit": 1, "review": 1, "fraud": 1},
        },
    )
    frame = await ws.receive_json_from(timeout=WAIT)
    await ws.disconnect()
    assert frame["transactions"] == [later]
    assert frame["counts"] == {"legit": 0, "review": 1, "fraud": 0}
