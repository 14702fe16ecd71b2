"""Django admin: every classified transaction, flagged ones one click away.

Transactions come from the stream, so they are read-only here; the review
workflow arrives with its own issue.
"""

from django.contrib import admin, messages
from django.db import transaction as db_transaction

from .models import DeadLetter, ReviewEvent, ReviewStatus, Transaction
from .review import transactions_assign_bulk, transactions_review_bulk


class FlaggedFilter(admin.SimpleListFilter):
    """Flagged means classified as review or fraud."""

    title = "flagged"
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("yes", "Flagged (review or fraud)"), ("no", "Legit")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(outcome__in=Transaction.FLAGGED_OUTCOMES)
        if self.value() == "no":
            return queryset.exclude(outcome__in=Transaction.FLAGGED_OUTCOMES)
        return queryset


class ReviewEventInline(admin.TabularInline):
    """The case's audit trail, read-only."""

    model = ReviewEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor", "from_status", "to_status", "assignee", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = (
        "timestamp",
        "transaction_id",
        "source",
        "target",
        "amount",
        "currency",
        "outcome",
        "score",
        "review_status",
        "assignee",
    )
    list_select_related = ("assignee",)
    list_filter = (FlaggedFilter, "outcome", "review_status", "currency", "timestamp")
    search_fields = ("=transaction_id", "=source", "=target")
    date_hierarchy = "timestamp"
    ordering = ("-timestamp", "-id")
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = [field.name for field in Transaction._meta.fields]
    inlines = (ReviewEventInline,)
    actions = ("confirm_fraud", "dismiss", "escalate", "assign_to_me")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request):
        return request.user.has_perm("transactions_app.review_transaction")

    @admin.action(description="Confirm as fraud", permissions=["review"])
    def confirm_fraud(self, request, queryset):
        self._review(request, queryset, ReviewStatus.CONFIRMED)

    @admin.action(description="Dismiss as false positive", permissions=["review"])
    def dismiss(self, request, queryset):
        self._review(request, queryset, ReviewStatus.FALSE_POSITIVE)

    @admin.action(description="Escalate", permissions=["review"])
    def escalate(self, request, queryset):
        self._review(request, queryset, ReviewStatus.ESCALATED)

    @admin.action(description="Assign to me", permissions=["review"])
    def assign_to_me(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        refused = transactions_assign_bulk(
            transaction_ids=ids, assignee=request.user, actor=request.user
        )
        self._report(request, len(ids), refused, "assigned to you")

    def _review(self, request, queryset, to_status):
        ids = list(queryset.values_list("pk", flat=True))
        refused = transactions_review_bulk(
            transaction_ids=ids, reviewer=request.user, to_status=to_status
        )
        self._report(request, len(ids), refused, f"marked {to_status.label.lower()}")

    def _report(self, request, total, refused, done):
        if total - len(refused):
            self.message_user(request, f"{total - len(refused)} transaction(s) {done}.")
        for reason in refused:
            self.message_user(request, reason, messages.ERROR)


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    """Rejected messages, with why; re-drive them once the cause is fixed."""

    list_display = (
        "received_at",
        "topic",
        "partition",
        "offset",
        "error",
        "value_preview",
        "redriven_at",
    )
    list_filter = (("redriven_at", admin.EmptyFieldListFilter), "topic")
    search_fields = ("error",)
    date_hierarchy = "received_at"
    actions = ("redrive",)
    readonly_fields = [f.name for f in DeadLetter._meta.fields] + ["value_preview"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Re-drive to the input topic")
    def redrive(self, request, queryset):
        from .tasks import redrive_dead_letters

        ids = list(queryset.values_list("pk", flat=True))
        db_transaction.on_commit(
            lambda: redrive_dead_letters.delay(ids, request.user.pk), robust=True
        )
        self.message_user(
            request, f"{len(ids)} dead letter(s) queued for re-drive.", messages.SUCCESS
        )


from .rules import admin as rules_admin  # noqa: E402, F401  (registers rules)
