"""The review pages beside admin: the next case, the statistics."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..rules.quality import rule_review_stats
from ..scoring.selectors import model_drift_report
from .selectors import review_status_counts
from .services import transaction_take_next


@staff_member_required
@require_POST
def review_next(request):
    """The "next unassigned" button: take the oldest new case and open it."""
    if not request.user.has_perm("transactions_app.review_transaction"):
        raise PermissionDenied
    case = transaction_take_next(reviewer=request.user)
    if case is None:
        messages.info(request, "No unassigned cases are waiting.")
        return redirect("admin:transactions_app_transaction_changelist")
    return redirect("admin:transactions_app_transaction_change", case.pk)


@staff_member_required
def review_stats(request):
    """Per-rule precision, the review queue by status, and the drift of the
    model in force, for analysts and rule managers (who tune the rules and
    decide on models by it)."""
    user = request.user
    if not (
        user.has_perm("transactions_app.view_transaction")
        or user.has_perm("transactions_app.view_rule")
    ):
        raise PermissionDenied
    drift = model_drift_report(now=timezone.now())
    context = {
        **admin.site.each_context(request),
        "title": "Review statistics",
        "rules": rule_review_stats(),
        "statuses": review_status_counts(),
        "drift": drift,
        "drift_alert_psi": settings.LEARNED_DRIFT_ALERT_PSI,
        "drift_chart": None
        if drift is None
        else {
            "hours": [hour for hour, _ in drift.hourly],
            "psi": [value for _, value in drift.hourly],
            "alert": settings.LEARNED_DRIFT_ALERT_PSI,
        },
    }
    return render(request, "transactions_app/review_stats.html", context)
