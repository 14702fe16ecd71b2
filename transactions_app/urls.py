from django.urls import path

from . import operations
from .investigations import views as investigation_views
from .live_feed import views as live_feed_views
from .review import views as review_views

app_name = "transactions_app"

urlpatterns = [
    path("", live_feed_views.live_page, name="live"),
    path(
        "transactions/<uuid:transaction_id>/",
        live_feed_views.transaction_in_admin,
        name="transaction",
    ),
    path("review/next/", review_views.review_next, name="review-next"),
    path("review/stats/", review_views.review_stats, name="review-stats"),
    path("review/network/", investigation_views.network_page, name="network"),
    path("review/network.json", investigation_views.network_data, name="network-data"),
    path(
        "review/activity.json",
        investigation_views.activity_data,
        name="activity-data",
    ),
    path("healthz", operations.healthz, name="healthz"),
    path("metrics", operations.metrics, name="metrics"),
]
