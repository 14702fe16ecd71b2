"""Webhook alert deliveries in Django admin, read-only: what was sent,
what is waiting for a retry, and what failed for good with its last error.
"""

from django.contrib import admin

from .models import WebhookDelivery


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "transaction",
        "status",
        "attempts",
        "response_status",
        "last_error",
        "sent_at",
    )
    list_select_related = ("transaction",)
    list_filter = ("status",)
    search_fields = ("=transaction__transaction_id",)
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
