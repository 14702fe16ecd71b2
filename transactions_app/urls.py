from django.urls import path

from . import operations, views

app_name = "transactions_app"

urlpatterns = [
    path("", views.live_page, name="live"),
    path(
        "transactions/<uuid:transaction_id>/",
        views.transaction_in_admin,
        name="transaction",
    ),
    path("review/next/", views.review_next, name="review-next"),
    path("review/stats/", views.review_stats, name="review-stats"),
    path("healthz", operations.healthz, name="healthz"),
    path("metrics", operations.metrics, name="metrics"),
]
