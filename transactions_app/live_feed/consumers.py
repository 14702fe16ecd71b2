"""The live page's websocket: staff only, fed by the live feed group."""

import asyncio
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from prometheus_client import Gauge

from .frames import FrameBuffer
from .selectors import transactions_latest
from .services import LIVE_FEED_GROUP, live_feed_item

INITIAL_TRANSACTIONS = 100

# Served by the web app's /metrics (the default registry).
WEBSOCKETS = Gauge("fraud_live_page_connections", "Open live page websockets.")


class LiveFeedConsumer(AsyncJsonWebsocketConsumer):
    """Sends the latest transactions on connect, then the batch events,
    merged so that the client gets at most ``FRAMES_PER_SECOND`` frames.

    It joins the group before it reads the snapshot, so that no batch falls
    between the two; a batch that lands in both is left out of the frames
    (``FrameBuffer.already_sent``), so the client gets each transaction
    once, whatever the order.

    Anonymous and non-staff users are refused before the handshake
    completes (the client sees HTTP 403).
    """

    FRAMES_PER_SECOND = 10

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_staff:
            await self.close()
            return
        self.frames = FrameBuffer(interval=1 / self.FRAMES_PER_SECOND)
        self.flush_task = None
        await self.channel_layer.group_add(LIVE_FEED_GROUP, self.channel_name)
        await self.accept()
        WEBSOCKETS.inc()
        self.counted = True
        snapshot = await self._latest()
        self.frames.already_sent(item["transaction_id"] for item in snapshot)
        await self.send_json({"type": "snapshot", "transactions": snapshot})

    async def disconnect(self, code):
        task = getattr(self, "flush_task", None)
        if task is not None:
            task.cancel()
        if getattr(self, "counted", False):
            WEBSOCKETS.dec()
            self.counted = False
        await self.channel_layer.group_discard(LIVE_FEED_GROUP, self.channel_name)

    async def transactions_batch(self, event):
        self.frames.add(event)
        if self.flush_task is None:
            self.flush_task = asyncio.create_task(self._flush())

    async def _flush(self):
        """Send the merged frame as soon as the rate limit allows."""
        try:
            await asyncio.sleep(self.frames.wait_before_next(time.monotonic()))
            await self.send_json(self.frames.take(time.monotonic()))
        finally:
            self.flush_task = None

    @database_sync_to_async
    def _latest(self) -> list[dict]:
        rows = transactions_latest(limit=INITIAL_TRANSACTIONS)
        return [live_feed_item(row) for row in reversed(rows)]
