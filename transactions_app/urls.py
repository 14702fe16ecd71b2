from django.urls import path

from . import views

app_name = "transactions_app"

urlpatterns = [
    path("", views.live_page, name="live"),
]
