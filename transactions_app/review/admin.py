"""Django admin: every classified transaction, flagged ones one click away.

Transactions come from the stream, so they are read-only here; analysts
review flagged ones with the list's actions and the case page's review
form, through the review services (``review/services.py``).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from ..models import ReviewEvent, ReviewStatus, Transaction
from ..readonly_admin import ReadOnlyAdminMixin
from ..rules.services import account_list_add
from .case_page import (
    activity_chart_html,
    explanation_html,
    findings_html,
    linked_cases_html,
    queue_of,
    source_activity_html,
)
from .changelist import (
    CappedCountPaginator,
    DateHierarchyQuerySet,
    transactions_search,
)
from .filters import AmountRangeFilter, AssigneeFilter, FiredRuleFilter, QueueFilter
from .forms import ReviewForm, decisions_for, review_form_apply
from .queues import PRIORITY_ORDER, QUEUES, countdown_words, review_deadline
from .selectors import (
    OPEN_REVIEW_STATUSES,
    findings_with_payment,
    linked_open_cases,
)
from .services import (
    ReviewRefused,
    transactions_assign_bulk,
    transactions_review_bulk,
)
from .wording import rule_versions_words


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


class ReviewEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The case's audit trail, read-only."""

    model = ReviewEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor", "from_status", "to_status", "assignee", "note")
    readonly_fields = fields


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # One line a row (investigations.css), what decides first: the time
    # to the minute, the verdict, the money and where the review stands,
    # then the two accounts in one cell and an id's start.
    list_display = (
        "when",
        "outcome",
        "score",
        "money",
        "review_status",
        "deadline",
        "assignee",
        "parties",
        "short_id",
    )
    list_select_related = ("assignee",)
    list_filter = (
        QueueFilter,
        FlaggedFilter,
        "outcome",
        "review_status",
        AssigneeFilter,
        FiredRuleFilter,
        AmountRangeFilter,
        "timestamp",
    )
    # Shows the search box; get_search_results does the (exact) matching.
    search_fields = ("=transaction_id", "=source", "=target")
    date_hierarchy = "timestamp"
    ordering = ("-timestamp", "-id")
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a count per choice reads every row
    paginator = CappedCountPaginator
    list_per_page = 50
    readonly_fields = [
        "explanation",
        "linked_cases",
        "typology_findings",
        "activity_chart",
        "source_activity",
        "versions_in_force",
        *(field.name for field in Transaction._meta.fields),
    ]
    # The case page: the decision first, the Kafka origin and the raw
    # record last and folded away.
    fieldsets = (
        (
            "Decision",
            {
                "fields": (
                    ("outcome", "score", "model_probability"),
                    ("amount", "currency"),
                    ("review_status", "assignee"),
                )
            },
        ),
        ("Why it was flagged", {"fields": ("explanation",)}),
        ("Linked open cases", {"fields": ("linked_cases",)}),
        ("Typology findings", {"fields": ("typology_findings",)}),
        (
            "Transaction",
            {
                "fields": (
                    "timestamp",
                    ("source", "target"),
                    ("merchant_category", "channel", "country"),
                    ("device_id", "ip"),
                    "transaction_id",
                )
            },
        ),
        ("Activity", {"fields": ("activity_chart", "source_activity")}),
        (
            "Technical",
            {
                "classes": ("collapse",),
                "fields": (
                    ("kafka_topic", "kafka_partition", "kafka_offset"),
                    "received_at",
                    "versions_in_force",
                    ("shadow_version", "shadow_probability"),
                    ("alerted_at", "review_version"),
                    "reasons",
                    "rule_versions",
                ),
            },
        ),
    )
    inlines = (ReviewEventInline,)
    actions = (
        "confirm_fraud",
        "dismiss",
        "escalate",
        "assign_to_me",
        "block_sources",
        "block_targets",
    )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return DateHierarchyQuerySet(
            model=queryset.model, query=queryset.query, using=queryset.db
        )

    def get_ordering(self, request):
        """A work queue is listed in priority order; the rest newest
        first."""
        if request.GET.get(QueueFilter.parameter_name) in QUEUES:
            return PRIORITY_ORDER
        return super().get_ordering(request)

    @admin.display(description="Time", ordering="timestamp")
    def when(self, obj):
        return timezone.localtime(obj.timestamp).strftime("%Y-%m-%d %H:%M")

    @admin.display(description="Payer → receiver", ordering="source")
    def parties(self, obj):
        return f"{obj.source} → {obj.target}"

    @admin.display(description="Amount", ordering="amount")
    def money(self, obj):
        return f"{obj.amount} {obj.currency}"

    @admin.display(description="Transaction", ordering="transaction_id")
    def short_id(self, obj):
        """The transaction id's first eight characters (the whole id in the
        tooltip and on the case page; the search takes the whole id)."""
        return format_html(
            '<span title="{}">{}…</span>',
            obj.transaction_id,
            str(obj.transaction_id)[:8],
        )

    @admin.display(description="Review deadline")
    def deadline(self, obj):
        """For an open case, the time left before it is escalated
        (``REVIEW_SLA_HOURS`` after it was stored), as a countdown."""
        if obj.review_status not in OPEN_REVIEW_STATUSES:
            return ""
        return format_html(
            '<time class="countdown" datetime="{iso}">{words}</time>',
            **self._deadline(obj),
        )

    @staticmethod
    def _deadline(obj) -> dict:
        due = review_deadline(obj, sla_hours=settings.REVIEW_SLA_HOURS)
        return {
            "iso": due.isoformat(),
            "words": countdown_words(due, now=timezone.now()),
        }

    def get_search_results(self, request, queryset, search_term):
        return transactions_search(queryset, search_term), False

    @admin.display(description="Reasons")
    def explanation(self, obj):
        return explanation_html(obj)

    @admin.display(description="On the same accounts")
    def linked_cases(self, obj):
        return linked_cases_html(self._linked(obj))

    @admin.display(description="Shapes this payment is part of")
    def typology_findings(self, obj):
        return findings_html(findings_with_payment(transaction_id=obj.transaction_id))

    @staticmethod
    def _linked(obj) -> list:
        """``linked_open_cases`` of ``obj``, read once for the page: the
        review form lists the same cases the page shows."""
        if not hasattr(obj, "_linked_open_cases"):
            obj._linked_open_cases = linked_open_cases(case=obj)
        return obj._linked_open_cases

    @admin.display(description="Rule versions in force")
    def versions_in_force(self, obj):
        return rule_versions_words(obj.rule_versions or {})

    @admin.display(description="Over time")
    def activity_chart(self, obj):
        return activity_chart_html(obj)

    @admin.display(description="Source account's recent activity")
    def source_activity(self, obj):
        return source_activity_html(obj)

    @admin.action(description="Block the source accounts", permissions=["review"])
    def block_sources(self, request, queryset):
        self._block(request, queryset, "source")

    @admin.action(description="Block the target accounts", permissions=["review"])
    def block_targets(self, request, queryset):
        self._block(request, queryset, "target")

    def _block(self, request, queryset, role):
        accounts = sorted(set(queryset.values_list(role, flat=True)))
        for account in accounts:
            account_list_add(
                list_name="block",
                account=account,
                added_by=request.user,
                note=f"blocked from review ({role})",
            )
        self.message_user(request, f"On the block list: {', '.join(accounts)}.")

    def has_review_permission(self, request):
        return request.user.has_perm("transactions_app.review_transaction")

    def get_urls(self):
        review = path(
            "<int:object_id>/review/",
            self.admin_site.admin_view(self.review_view),
            name="transactions_app_transaction_review",
        )
        return [review, *super().get_urls()]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        """The case page offers the review form to those who may review."""
        if (
            obj is not None
            and obj.review_status
            and self.has_review_permission(request)
        ):
            context["review_form"] = ReviewForm(case=obj, linked=self._linked(obj))
            context["decisions"] = decisions_for(obj)
            context["queue"] = queue_of(request)
            if obj.review_status in OPEN_REVIEW_STATUSES:
                context["deadline"] = self._deadline(obj)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    @method_decorator(require_POST)
    def review_view(self, request, object_id):
        """What the case page's review form posts to; back to the case page
        with a message saying what was done, or why not."""
        if not self.has_review_permission(request):
            raise PermissionDenied
        case = get_object_or_404(Transaction, pk=object_id)
        form = ReviewForm(request.POST, case=case)
        if not form.is_valid():
            for name, errors in form.errors.items():
                prefix = f"{form[name].label}: " if name in form.fields else ""
                self.message_user(request, prefix + " ".join(errors), messages.ERROR)
        else:
            try:
                done = review_form_apply(form=form, case=case, user=request.user)
            except ReviewRefused as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, f"Transaction {case.transaction_id} {done}.")
        # Back to the case page, in the queue it was opened from.
        page = reverse("admin:transactions_app_transaction_change", args=[case.pk])
        kept = request.GET.get("_changelist_filters")
        return redirect(
            f"{page}?{urlencode({'_changelist_filters': kept})}" if kept else page
        )

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
