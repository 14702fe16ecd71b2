"""The alert outbox in Django admin, read-only: per fraud transaction and
channel, what was sent, what is waiting (and until when), what is being
sent under a lease, and what failed for good with its last error.
"""

from django.contrib import admin

from ..models import AlertDelivery
from ..readonly_admin import ReadOnlyAdminMixin


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    deletable = False  # the outbox is the record of what was alerted
    list_display = (
        "created_at",
        "transaction",
        "channel",
        "status",
        "attempts",
        "due_at",
        "response_status",
        "last_error",
        "sent_at",
    )
    list_select_related = ("transaction",)
    list_filter = ("status", "channel")
    search_fields = ("=transaction__transaction_id",)
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in AlertDelivery._meta.fields]
