"""The live page's websocket: staff only, fed by the live feed group."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .live_feed import LIVE_FEED_GROUP, live_feed_item
from .operations import WEBSOCKETS
from .selectors import transactions_latest

INITIAL_TRANSACTIONS = 100


class LiveFeedConsumer(AsyncJsonWebsocketConsumer):
    """Sends the latest transactions on connect, then every batch event.

    Anonymous and non-staff users are refused before the handshake
    completes (the client sees HTTP 403).
    """

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_staff:
            await self.close()
            return
        await self.channel_layer.group_add(LIVE_FEED_GROUP, self.channel_name)
        await self.accept()
        WEBSOCKETS.inc()
        self.counted = True
        await self.send_json({"type": "snapshot", "transactions": await self._latest()})

    async def disconnect(self, code):
        if getattr(self, "counted", False):
            WEBSOCKETS.dec()
            self.counted = False
        await self.channel_layer.group_discard(LIVE_FEED_GROUP, self.channel_name)

    async def transactions_batch(self, event):
        await self.send_json(
            {
                "type": "batch",
                "transactions": event["transactions"],
                "counts": event["counts"],
            }
        )

    @database_sync_to_async
    def _latest(self) -> list[dict]:
        rows = transactions_latest(limit=INITIAL_TRANSACTIONS)
        return [live_feed_item(row) for row in reversed(rows)]
