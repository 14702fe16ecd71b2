"""Django admin: every classified transaction, flagged ones one click away.

Transactions come from the stream, so they are read-only here; analysts
review flagged ones with the list's actions and the case page's review
form, through the review services (``review/services.py``).
"""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join, json_script
from django.views.decorators.http import require_POST

from ..models import ReviewEvent, ReviewStatus, Transaction
from ..readonly_admin import ReadOnlyAdminMixin
from ..rules.services import account_list_add
from .changelist import (
    CappedCountPaginator,
    DateHierarchyQuerySet,
    transactions_search,
)
from .filters import AmountRangeFilter, AssigneeFilter, FiredRuleFilter
from .forms import ReviewForm, decisions_for, review_form_apply
from .selectors import (
    ACTIVITY_AFTER_CASE,
    account_recent_activity,
    case_activity,
    linked_open_cases,
)
from .services import (
    ReviewRefused,
    transactions_assign_bulk,
    transactions_review_bulk,
)
from .wording import reason_sentence, rule_versions_words


def network_url(account: str, moment) -> str:
    """The money-flow network page of ``account`` over the month up to a
    day after ``moment`` (as the activity chart)."""
    query = urlencode(
        {
            "account": account,
            "until": (moment + ACTIVITY_AFTER_CASE).isoformat(timespec="seconds"),
        }
    )
    return f"{reverse('transactions_app:network')}?{query}"


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
    list_filter = (
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

    def get_search_results(self, request, queryset, search_term):
        return transactions_search(queryset, search_term), False

    @admin.display(description="Reasons")
    def explanation(self, obj):
        """Each reason as a sentence (``wording.reason_sentence``), inserted
        as text."""
        if not obj.reasons:
            return "No rule fired."
        return format_html(
            '<ul class="reasons">{}</ul>',
            format_html_join(
                "", "<li>{}</li>", ((reason_sentence(r),) for r in obj.reasons)
            ),
        )

    @admin.display(description="On the same accounts")
    def linked_cases(self, obj):
        """The other open cases on this case's payer or receiver
        (``linked_open_cases``), each a link to its page."""
        cases = self._linked(obj)
        if not cases:
            return "None."
        return format_html(
            "<table><tr><th>Time</th><th>Transaction</th><th>Source → target</th>"
            "<th>Amount</th><th>Outcome</th><th>Status</th></tr>{}</table>",
            format_html_join(
                "",
                '<tr><td>{}</td><td><a href="{}">{}</a></td><td>{} → {}</td>'
                "<td>{} {}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        t.timestamp.isoformat(timespec="seconds"),
                        reverse(
                            "admin:transactions_app_transaction_change", args=[t.pk]
                        ),
                        t.transaction_id,
                        t.source,
                        t.target,
                        t.amount,
                        t.currency,
                        t.outcome,
                        t.get_review_status_display(),
                    )
                    for t in cases
                ),
            ),
        )

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
        """The payer's and the receiver's payments over the month up to a
        day after the case, flagged ones marked, and links to their
        money-flow networks. The data goes in a JSON script element
        (``case_activity``) that ``activity.js`` draws; nothing of it is
        markup."""
        return format_html(
            '<div class="activity-charts">'
            '<div class="activity-chart" id="activity-payer" role="img" '
            'aria-label="Payments the payer sent over time"></div>'
            '<div class="activity-chart" id="activity-receiver" role="img" '
            'aria-label="Payments the receiver received over time"></div>'
            "</div>{}"
            '<p class="network-links">Money-flow network: '
            '<a href="{}">the payer\'s</a> · <a href="{}">the receiver\'s</a></p>',
            json_script(case_activity(case=obj), "activity-data"),
            network_url(obj.source, obj.timestamp),
            network_url(obj.target, obj.timestamp),
        )

    @admin.display(description="Source account's recent activity")
    def source_activity(self, obj):
        activity = account_recent_activity(account=obj.source, before=obj.timestamp)
        hour, day = activity["hour"], activity["day"]
        return format_html(
            "<p>Last hour: {} transactions, {} in total. Last day: {}, {}.</p>"
            "<table><tr><th>Time</th><th>Target</th><th>Amount</th><th>Outcome</th>"
            "</tr>{}</table>",
            hour["count"],
            f"{hour['total'] or 0:.2f}",
            day["count"],
            f"{day['total'] or 0:.2f}",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td></tr>",
                (
                    (
                        t.timestamp.isoformat(timespec="seconds"),
                        t.target,
                        t.amount,
                        t.currency,
                        t.outcome,
                    )
                    for t in activity["recent"]
                ),
            ),
        )

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
        return redirect("admin:transactions_app_transaction_change", case.pk)

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
