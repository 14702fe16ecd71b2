"""Rules and account lists in Django admin.

Saving a rule never edits it in place: it records a new version through the
services, live at once or waiting for a second rule manager's approval.
"""

import json

from django import forms
from django.contrib import admin, messages

from ..models import AccountListEntry, Backtest, Rule, RuleVersion
from ..readonly_admin import ReadOnlyAdminMixin
from . import quality
from .services import (
    RuleChangeRefused,
    account_list_add,
    account_list_remove,
    backtest_request,
    rule_config_check,
    rule_create,
    rule_version_approve,
    rule_version_propose,
    rule_version_reject,
)

VERSION_FIELDS = ("enabled", "params", "weight", "force", "description", "note")


def latest_version(rule: Rule) -> RuleVersion | None:
    """The version an edit starts from: a pending one, else the live one."""
    versions = rule.versions.exclude(status=RuleVersion.Status.REJECTED)
    return versions.order_by("-number").first()


class RuleForm(forms.ModelForm):
    enabled = forms.BooleanField(required=False, initial=True)
    params = forms.JSONField(
        label="Parameters",
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text='A JSON object, e.g. {"max_count": 5, "window_seconds": 60}.',
    )
    weight = forms.IntegerField(min_value=0, initial=0)
    force = forms.ChoiceField(
        label="Forced outcome",
        required=False,
        choices=RuleVersion._meta.get_field("force").choices,
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    note = forms.CharField(label="Change note", required=False, max_length=200)

    class Meta:
        model = Rule
        fields = ("name", "kind")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        version = latest_version(self.instance) if self.instance.pk else None
        if version is not None:
            for name in VERSION_FIELDS[:-1]:
                self.initial[name] = getattr(version, name)

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind") or self.instance.kind
        name = cleaned.get("name") or self.instance.name
        if kind and name and "params" in cleaned and "weight" in cleaned:
            try:
                rule_config_check(
                    kind=kind,
                    name=name,
                    params=cleaned["params"],
                    weight=cleaned["weight"],
                    force=cleaned.get("force", ""),
                )
            except RuleChangeRefused as error:
                raise forms.ValidationError(f"This rule cannot work: {error}") from None
        return cleaned

    def version_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in VERSION_FIELDS}


class RuleAdmin(admin.ModelAdmin):
    form = RuleForm
    list_display = (
        "name",
        "kind",
        "live_version",
        "enabled_now",
        "pending_versions",
        "precision",
    )
    list_filter = ("kind",)
    search_fields = ("name",)
    actions = ("enable_rules", "disable_rules")

    def get_readonly_fields(self, request, obj=None):
        return ("name", "kind") if obj else ()

    def get_queryset(self, request):
        rules = super().get_queryset(request).prefetch_related("versions")
        return quality.rules_with_review_counts(rules)

    @admin.display(description="precision (confirmed of decided)")
    def precision(self, rule):
        value = quality.precision(
            confirmed=rule.confirmed, false_positives=rule.false_positives
        )
        if value is None:
            return "-"
        decided = rule.confirmed + rule.false_positives
        return f"{value:.2f} ({rule.confirmed} of {decided})"

    @admin.display(description="live version")
    def live_version(self, rule):
        live = _live(rule)
        return f"v{live.number}: {json.dumps(live.params)}" if live else "none"

    @admin.display(description="enabled", boolean=True)
    def enabled_now(self, rule):
        live = _live(rule)
        return bool(live and live.enabled)

    @admin.display(description="waiting for approval")
    def pending_versions(self, rule):
        return sum(v.status == RuleVersion.Status.PENDING for v in rule.versions.all())

    def save_model(self, request, obj, form, change):
        try:
            if change:
                version = rule_version_propose(
                    rule=obj, author=request.user, **form.version_fields()
                )
            else:
                version = rule_create(
                    name=obj.name,
                    kind=obj.kind,
                    author=request.user,
                    **form.version_fields(),
                )
                obj.pk = version.rule.pk
        except RuleChangeRefused as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        _announce(self, request, version)

    def has_delete_permission(self, request, obj=None):
        return False  # rules are disabled, never deleted: verdicts name them

    @admin.action(description="Enable the selected rules (new version)")
    def enable_rules(self, request, queryset):
        self._toggle(request, queryset, enabled=True)

    @admin.action(description="Disable the selected rules (new version)")
    def disable_rules(self, request, queryset):
        self._toggle(request, queryset, enabled=False)

    def _toggle(self, request, queryset, *, enabled):
        for rule in queryset:
            current = latest_version(rule)
            if current is None:
                continue
            fields = {name: getattr(current, name) for name in VERSION_FIELDS[:-1]}
            fields["enabled"] = enabled
            fields["note"] = "enabled" if enabled else "disabled"
            try:
                version = rule_version_propose(rule=rule, author=request.user, **fields)
            except RuleChangeRefused as error:
                self.message_user(request, f"{rule}: {error}", messages.ERROR)
            else:
                _announce(self, request, version)


def _live(rule: Rule) -> RuleVersion | None:
    return next(
        (v for v in rule.versions.all() if v.status == RuleVersion.Status.LIVE), None
    )


def _announce(model_admin, request, version: RuleVersion) -> None:
    if version.status == RuleVersion.Status.LIVE:
        text = f"{version.rule} v{version.number} is live."
    else:
        text = (
            f"{version.rule} v{version.number} waits for approval by a second "
            "rule manager (Rule versions → approve)."
        )
    model_admin.message_user(request, text, messages.SUCCESS)


class RuleVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    deletable = False  # versions are the history verdicts point to
    list_display = (
        "rule",
        "number",
        "status",
        "enabled",
        "weight",
        "force",
        "params",
        "author",
        "created_at",
        "decided_by",
        "note",
    )
    list_filter = ("status", "rule")
    list_select_related = ("rule", "author", "decided_by")
    actions = ("approve", "reject", "backtest_7_days", "backtest_30_days")
    readonly_fields = [field.name for field in RuleVersion._meta.fields]

    @admin.action(description="Approve the selected versions (put live)")
    def approve(self, request, queryset):
        self._decide(request, queryset, rule_version_approve, "is live")

    @admin.action(description="Reject the selected versions")
    def reject(self, request, queryset):
        self._decide(request, queryset, rule_version_reject, "was rejected")

    def _decide(self, request, queryset, service, outcome):
        for version in queryset:
            try:
                service(version=version, approver=request.user)
            except RuleChangeRefused as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request, f"{version.rule} v{version.number} {outcome}."
                )

    @admin.action(description="Backtest over the last 7 days")
    def backtest_7_days(self, request, queryset):
        self._backtest(request, queryset, days=7)

    @admin.action(description="Backtest over the last 30 days")
    def backtest_30_days(self, request, queryset):
        self._backtest(request, queryset, days=30)

    def _backtest(self, request, queryset, *, days):
        for version in queryset:
            backtest_request(version=version, days=days, requested_by=request.user)
        self.message_user(
            request,
            f"{queryset.count()} backtest(s) queued; follow them under Backtests.",
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("transactions_app.approve_ruleversion"):
            actions.pop("approve", None)
            actions.pop("reject", None)
        return actions


class AccountListEntryAdmin(admin.ModelAdmin):
    list_display = ("account", "list_name", "note", "added_by", "added_at")
    list_filter = ("list_name",)
    search_fields = ("=account",)
    readonly_fields = ("added_by", "added_at")

    def get_readonly_fields(self, request, obj=None):
        # An entry is an account on a list: to change it, remove and add.
        if obj is not None:
            return ("list_name", "account", "added_by", "added_at")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)  # the note only
            return
        entry = account_list_add(
            list_name=obj.list_name,
            account=obj.account,
            added_by=request.user,
            note=obj.note,
        )
        obj.pk = entry.pk

    def delete_model(self, request, obj):
        account_list_remove(list_name=obj.list_name, account=obj.account)

    def delete_queryset(self, request, queryset):
        for entry in queryset:
            account_list_remove(list_name=entry.list_name, account=entry.account)


class BacktestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "version",
        "days",
        "status",
        "progress",
        "flagged",
        "flagged_now",
        "fired",
        "confirmed",
        "dismissed",
        "requested_by",
        "requested_at",
    )
    list_filter = ("status",)
    list_select_related = ("version__rule", "requested_by")
    readonly_fields = [field.name for field in Backtest._meta.fields] + ["progress"]


admin.site.register(Rule, RuleAdmin)
admin.site.register(Backtest, BacktestAdmin)
admin.site.register(RuleVersion, RuleVersionAdmin)
admin.site.register(AccountListEntry, AccountListEntryAdmin)
