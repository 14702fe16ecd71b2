"""Model versions in Django admin: read only (a model is trained, never
edited), decided on by actions that call the services: approve, reject,
score in shadow, roll back."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from ..models import ModelTraining, ModelVersion
from ..readonly_admin import ReadOnlyAdminMixin
from .selectors import BINS, shadow_comparison
from .services import (
    APPROVE_PERMISSION,
    ModelChangeRefused,
    model_version_approve,
    model_version_reject,
    model_version_roll_back,
    model_version_shadow,
)
from .trainings import training_request

METRICS_SHOWN = (
    ("average_precision", "average precision"),
    ("precision", "precision"),
    ("recall", "recall"),
    ("false_positive_rate", "false-positive rate"),
)


class ModelVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    deletable = False  # versions are the history verdicts point to
    list_display = (
        "number",
        "status",
        "average_precision",
        "source",
        "author",
        "created_at",
        "decided_by",
        "note",
    )
    list_filter = ("status",)
    list_select_related = ("author", "decided_by")
    actions = ("approve", "reject", "shadow", "roll_back")
    exclude = ("artefact",)
    readonly_fields = [
        field.name for field in ModelVersion._meta.fields if field.name != "artefact"
    ] + ["validation", "comparison"]

    @admin.display(description="average precision")
    def average_precision(self, version: ModelVersion) -> str:
        return _figure(version.metrics.get("average_precision"))

    @admin.display(description="validation")
    def validation(self, version: ModelVersion) -> str:
        """What the validation measured, one figure a line, as text."""
        return format_html_join(
            "",
            "<div>{}: {}</div>",
            (
                (label, _figure(version.metrics.get(name), name))
                for name, label in METRICS_SHOWN
            ),
        )

    @admin.display(description="in shadow, against the model in force")
    def comparison(self, version: ModelVersion) -> str:
        """The candidate beside the model in force over the transactions it
        scored in shadow: flags, precision and recall against the analysts'
        decisions since, agreement, and both score distributions."""
        compared = shadow_comparison(version)
        if not compared.scored:
            return "It has scored no transaction in shadow."
        sides = (compared.candidate, compared.in_force)
        rows = [
            ("flagged", *(f"{side.flagged}" for side in sides)),
            ("of which decided", *(f"{side.flagged_decided}" for side in sides)),
            ("precision", *(_figure(side.precision) for side in sides)),
            ("recall", *(_figure(side.recall) for side in sides)),
        ] + [
            (f"probability {low / BINS:.1f}-{(low + 1) / BINS:.1f}",)
            + tuple(str(side.distribution[low]) for side in sides)
            for low in range(BINS)
        ]
        return format_html(
            "<p>{} transactions scored since {}; the two agree on {} "
            "(both flag, or neither); {} confirmed as fraud since.</p>"
            "<table><thead><tr><th></th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            compared.scored,
            compared.since,
            _figure(compared.agreement, "share"),
            compared.candidate.confirmed,
            compared.candidate.name,
            compared.in_force.name,
            format_html_join("", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.action(description="Approve the selected version (put in force)")
    def approve(self, request, queryset):
        self._decide(request, queryset, model_version_approve, "is in force")

    @admin.action(description="Reject the selected versions")
    def reject(self, request, queryset):
        self._decide(request, queryset, model_version_reject, "was rejected")

    @admin.action(description="Score live traffic in shadow (no verdict changes)")
    def shadow(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose one version to shadow.", messages.ERROR)
            return
        try:
            version = model_version_shadow(
                version=queryset.get(), requested_by=request.user
            )
        except ModelChangeRefused as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, f"{version} scores live traffic in shadow.")

    @admin.action(description="Roll back the model in force to the one before")
    def roll_back(self, request, queryset):
        try:
            restored = model_version_roll_back(approver=request.user)
        except ModelChangeRefused as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(
            request,
            "Rolled back: "
            + ("no model is in force now." if restored is None else f"{restored}."),
        )

    def _decide(self, request, queryset, service, outcome):
        for version in queryset:
            try:
                service(version=version, approver=request.user)
            except ModelChangeRefused as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, f"model v{version.number} {outcome}.")

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm(APPROVE_PERMISSION):
            for name in ("approve", "reject", "shadow", "roll_back"):
                actions.pop(name, None)
        return actions


def _figure(value, name: str = "") -> str:
    """A figure; rates of false positives and shares as percentages."""
    if value is None:
        return "n/a"
    if name in ("false_positive_rate", "share"):
        return f"{value:.2%}"
    return f"{value:.3f}"


class ModelTrainingForm(forms.ModelForm):
    days = forms.IntegerField(
        min_value=1,
        max_value=3650,
        initial=90,
        help_text="Train on the stored history of this many days, up to now.",
    )

    class Meta:
        model = ModelTraining
        fields = ("days",)


class ModelTrainingAdmin(admin.ModelAdmin):
    """Add one to train on the analysts' decisions of the last days (a
    Celery task: follow its progress here); it records a model version
    waiting for approval."""

    list_display = (
        "requested_at",
        "days",
        "status",
        "progress",
        "version",
        "requested_by",
        "finished_at",
    )
    list_filter = ("status",)
    list_select_related = ("version", "requested_by")
    form = ModelTrainingForm

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("days",)
        return (*self.list_display, "error")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        training = training_request(days=obj.days, requested_by=request.user)
        obj.pk = training.pk
        self.message_user(
            request,
            f"Training on the decisions of the last {obj.days} days queued; it "
            "records a model version waiting for approval.",
        )


admin.site.register(ModelVersion, ModelVersionAdmin)
admin.site.register(ModelTraining, ModelTrainingAdmin)
