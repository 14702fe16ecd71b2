"""The live page (its data arrives over the websocket, never in the HTML)
and the review pages beside admin: the next case, the statistics."""

from functools import wraps

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .models import Transaction
from .review import transaction_take_next
from .selectors import review_status_counts, rule_review_stats

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def content_security_policy(view):
    """Forbid inline and third-party scripts on the page ``view`` renders."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response

    return wrapped


@staff_member_required
@content_security_policy
def live_page(request):
    return render(request, "transactions_app/live.html")


@staff_member_required
def transaction_in_admin(request, transaction_id):
    """Where a live page row leads: the transaction's admin page."""
    transaction = get_object_or_404(Transaction, transaction_id=transaction_id)
    return redirect("admin:transactions_app_transaction_change", transaction.pk)


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
    """Per-rule precision and the review queue by status, for analysts and
    rule managers (who tune the rules by it)."""
    user = request.user
    if not (
        user.has_perm("transactions_app.view_transaction")
        or user.has_perm("transactions_app.view_rule")
    ):
        raise PermissionDenied
    context = {
        **admin.site.each_context(request),
        "title": "Review statistics",
        "rules": rule_review_stats(),
        "statuses": review_status_counts(),
    }
    return render(request, "transactions_app/review_stats.html", context)
