"""The review pages beside admin: the next case, the statistics."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..page_security import content_security_policy
from ..rules.quality import rule_review_stats
from ..scoring.selectors import model_drift_report
from .queues import QUEUE_EMPTY, QUEUES, next_in_queue
from .selectors import review_status_counts
from .services import transaction_take_next
from .statistics import review_trends


@staff_member_required
@require_POST
def review_next(request):
    """The next-case button: the next case of the queue the analyst works
    from (``queue``, "unassigned" when left out) other than the one just
    looked at (``after``), opened with the queue kept for the next press.
    A case taken from the unassigned queue is assigned to the analyst and
    put in review (``transaction_take_next``)."""
    if not request.user.has_perm("transactions_app.review_transaction"):
        raise PermissionDenied
    queue = request.POST.get("queue") or "unassigned"
    if queue not in QUEUES:
        messages.error(request, f"There is no queue {queue!r}.")
        return redirect("admin:transactions_app_transaction_changelist")
    if queue == "unassigned":
        case = transaction_take_next(reviewer=request.user)
    else:
        after = request.POST.get("after", "")
        case = next_in_queue(
            queue=queue,
            user=request.user,
            after=int(after) if after.isascii() and after.isdigit() else None,
        )
    changelist = reverse("admin:transactions_app_transaction_changelist")
    in_queue = urlencode({"_changelist_filters": urlencode({"queue": queue})})
    if case is None:
        messages.info(request, QUEUE_EMPTY[queue])
        return redirect(f"{changelist}?{urlencode({'queue': queue})}")
    page = reverse("admin:transactions_app_transaction_change", args=[case.pk])
    return redirect(f"{page}?{in_queue}")


@staff_member_required
@content_security_policy
def review_stats(request):
    """Per-rule precision, the review queue by status, their trends (flagged
    and confirmed per day, precision per week, time to decision, open cases
    by age) and the drift of the model in force, for analysts and rule
    managers (who tune the rules and decide on models by it). The charts'
    data is embedded as JSON (``json_script``), drawn by ``stats.js``."""
    user = request.user
    if not (
        user.has_perm("transactions_app.view_transaction")
        or user.has_perm("transactions_app.view_rule")
    ):
        raise PermissionDenied
    now = timezone.now()
    drift = model_drift_report(now=now)
    context = {
        **admin.site.each_context(request),
        "title": "Review statistics",
        "rules": rule_review_stats(),
        "statuses": review_status_counts(),
        "trends": review_trends(now=now),
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
