"""The live page (its data arrives over the websocket, never in the HTML)
and where one of its rows leads."""

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404, redirect, render

from ..models import Transaction
from ..page_security import content_security_policy


@staff_member_required
@content_security_policy
def live_page(request):
    return render(request, "transactions_app/live.html")


@staff_member_required
def transaction_in_admin(request, transaction_id):
    """Where a live page row leads: the transaction's admin page."""
    transaction = get_object_or_404(Transaction, transaction_id=transaction_id)
    return redirect("admin:transactions_app_transaction_change", transaction.pk)
