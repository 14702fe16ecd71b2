"""Django admin: every classified transaction, flagged ones one click away.

Transactions come from the stream, so they are read-only here; the review
workflow arrives with its own issue.
"""

from django.contrib import admin

from .models import Transaction


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
    )
    list_filter = (FlaggedFilter, "outcome", "currency", "timestamp")
    search_fields = ("=transaction_id", "=source", "=target")
    date_hierarchy = "timestamp"
    ordering = ("-timestamp", "-id")
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = [field.name for field in Transaction._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


from .rules import admin as rules_admin  # noqa: E402, F401  (registers rules)
