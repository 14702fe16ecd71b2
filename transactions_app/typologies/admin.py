"""Findings of the typology scan in admin: a list to work from, and a
finding's page with its explanation, accounts (each a link to its
money-flow network), payments and audit trail above the decision.

Analysts with the review permission decide on findings as on flagged
transactions (same statuses, same moves, an audit entry each); nobody
adds or edits one by hand. Every value goes into the page as text."""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from ..models import FindingEvent, ReviewStatus, TypologyFinding
from ..readonly_admin import ReadOnlyAdminMixin
from ..review.case_page import network_url
from ..review.services import ALLOWED, ReviewRefused
from .selectors import finding_payments
from .services import finding_review, findings_review_bulk

REVIEW_PERMISSION = "transactions_app.review_transaction"


class FindingReviewForm(forms.ModelForm):
    """The decision: a status the workflow allows from where the finding
    is, with a note, at the version the page showed."""

    to_status = forms.ChoiceField(label="New status", required=False)
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    seen_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    class Meta:
        model = TypologyFinding
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        status = self.instance.review_status
        self.fields["to_status"].choices = [("", "keep the status")] + [
            (choice.value, choice.label)
            for choice in ReviewStatus
            if choice in ALLOWED[ReviewStatus(status)]
        ]
        self.initial.setdefault("seen_version", self.instance.review_version)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("seen_version") != self.instance.review_version:
            raise forms.ValidationError(
                "This finding was changed meanwhile; reload it and try again."
            )
        if not cleaned.get("to_status"):
            raise forms.ValidationError("Choose a new status.")
        return cleaned


class FindingEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = FindingEvent
    deletable = False
    extra = 0
    fields = ("at", "actor", "from_status", "to_status", "assignee", "note")
    readonly_fields = fields
    verbose_name = "audit entry"
    verbose_name_plural = "audit trail"


@admin.register(TypologyFinding)
class TypologyFindingAdmin(admin.ModelAdmin):
    form = FindingReviewForm
    list_display = (
        "found_at",
        "typology",
        "review_status",
        "money",
        "shape",
        "span",
        "assignee",
    )
    list_filter = ("typology", "review_status")
    search_fields = ("key",)
    search_help_text = "An account id (exact part of it)."
    list_select_related = ("assignee",)
    readonly_fields = (
        "typology",
        "review_status",
        "assignee",
        "money",
        "span",
        "explanation",
        "accounts_involved",
        "payments",
        "found_at",
        "updated_at",
        "key",
    )
    fieldsets = (
        (None, {"fields": (("typology", "review_status", "assignee"), "explanation")}),
        ("Decision", {"fields": ("to_status", "note", "seen_version")}),
        ("Accounts", {"fields": ("accounts_involved",)}),
        ("Payments", {"fields": (("money", "span"), "payments")}),
        (
            "Technical",
            {"classes": ("collapse",), "fields": ("found_at", "updated_at", "key")},
        ),
    )
    inlines = (FindingEventInline,)
    actions = ("confirm_laundering", "dismiss", "assign_to_me")

    @admin.display(description="amount")
    def money(self, obj):
        return f"{obj.amount:,.2f} {obj.currency}"

    @admin.display(description="accounts")
    def shape(self, obj):
        accounts = obj.accounts
        if len(accounts) <= 3:
            return " → ".join(accounts)
        return f"{accounts[0]} → … → {accounts[-1]} ({len(accounts)})"

    @admin.display(description="over")
    def span(self, obj):
        hours = (obj.last_at - obj.first_at).total_seconds() / 3600
        return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"

    @admin.display(description="accounts, in the order money went")
    def accounts_involved(self, obj):
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a></li>',
                ((network_url(a, obj.last_at), a) for a in obj.accounts),
            ),
        )

    @admin.display(description="payments involved")
    def payments(self, obj):
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td>'
            "<td>{}</td><td>{} {}</td></tr>",
            (
                (
                    reverse("admin:transactions_app_transaction_change", args=[p.pk]),
                    str(p.transaction_id)[:8],
                    p.timestamp.isoformat(timespec="minutes"),
                    p.source,
                    p.target,
                    f"{p.amount:,.2f}",
                    p.currency,
                )
                for p in finding_payments(finding=obj)
            ),
        )
        return format_html(
            '<table class="finding-payments"><thead><tr><th>id</th><th>when</th>'
            "<th>from</th><th>to</th><th>amount</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(REVIEW_PERMISSION)

    def save_model(self, request, obj, form, change):
        """The decision, through the review service (which checks the
        version again, under a lock)."""
        data = form.cleaned_data
        try:
            finding_review(
                finding_id=obj.pk,
                reviewer=request.user,
                to_status=data["to_status"],
                expected_version=data["seen_version"],
                note=data["note"],
            )
        except ReviewRefused as error:
            messages.error(request, str(error))

    @admin.action(description="Confirm laundering", permissions=["change"])
    def confirm_laundering(self, request, queryset):
        self._each(request, queryset, ReviewStatus.CONFIRMED)

    @admin.action(description="Dismiss: false positive", permissions=["change"])
    def dismiss(self, request, queryset):
        self._each(request, queryset, ReviewStatus.FALSE_POSITIVE)

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._each(request, queryset, None)

    def _each(self, request, queryset, to_status):
        """Apply one decision (None: assign to the user) to the selected
        findings; report what was done and refused."""
        ids = list(queryset.values_list("pk", flat=True))
        refused = findings_review_bulk(
            finding_ids=ids, user=request.user, to_status=to_status
        )
        messages.info(request, f"{len(ids) - len(refused)} finding(s) changed.")
        if refused:
            messages.warning(request, " ".join(refused))
