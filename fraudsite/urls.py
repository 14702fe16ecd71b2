"""URL routes: the live page at ``/`` and Django admin at ``/admin/``."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("transactions_app.urls")),
]
