"""Dead letters in Django admin: rejected messages with why, re-driven to
the input topic once the cause is fixed (never the truncated ones)."""

from django.contrib import admin, messages
from django.db import transaction as db_transaction

from ..models import DeadLetter
from ..readonly_admin import ReadOnlyAdminMixin
from .tasks import redrive_dead_letters


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Rejected messages, with why; re-drive them once the cause is fixed."""

    list_display = (
        "received_at",
        "topic",
        "partition",
        "offset",
        "error",
        "value_preview",
        "truncation",
        "redriven_at",
    )
    list_filter = (
        ("redriven_at", admin.EmptyFieldListFilter),
        ("truncated", admin.EmptyFieldListFilter),
        "topic",
    )
    search_fields = ("error",)
    date_hierarchy = "received_at"
    actions = ("redrive",)
    readonly_fields = [f.name for f in DeadLetter._meta.fields] + [
        "value_preview",
        "truncation",
    ]

    @admin.display(description="truncated")
    def truncation(self, letter):
        """What was cut to fit, with the original size: '-' when whole."""
        return letter.truncation_summary or "-"

    @admin.action(description="Re-drive to the input topic")
    def redrive(self, request, queryset):
        """Queue the chosen letters for re-drive, except truncated ones:
        re-driving a cut message would send something else than came."""
        ids = list(queryset.filter(truncated="").values_list("pk", flat=True))
        cut = queryset.exclude(truncated="").count()
        if ids:
            db_transaction.on_commit(
                lambda: redrive_dead_letters.delay(ids, request.user.pk), robust=True
            )
            self.message_user(
                request,
                f"{len(ids)} dead letter(s) queued for re-drive.",
                messages.SUCCESS,
            )
        if cut:
            self.message_user(
                request,
                f"{cut} dead letter(s) not re-driven: they were truncated to fit "
                "Kafka and the table, so the original message is not kept whole.",
                messages.ERROR,
            )
