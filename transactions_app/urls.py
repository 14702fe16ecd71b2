from django.urls import path

from . import operations, views

app_name = "transactions_app"

urlpatterns = [
    path("", views.live_page, name="live"),
    path("healthz", operations.healthz, name="healthz"),
    path("metrics", operations.metrics, name="metrics"),
]
