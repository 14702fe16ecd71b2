"""The live page (its data arrives over the websocket, never in the HTML)
and where one of its rows leads."""

from functools import wraps

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404, redirect, render

from ..models import Transaction

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
