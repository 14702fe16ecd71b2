from django.urls import path

from .consumers import LiveFeedConsumer

websocket_urlpatterns = [
    path("ws/transactions/", LiveFeedConsumer.as_asgi()),
]
