"""The money-flow network page, its JSON, and an account's activity as
JSON (what the page shows when an account is clicked). Staff who may view
transactions only, as the case page."""

from functools import wraps

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse

from ..page_security import content_security_policy
from ..review.selectors import account_activity_series
from .forms import AccountPeriodForm, NetworkForm, form_errors
from .network import money_flow_network


def may_view_transactions(view):
    """Staff with the permission to view transactions (analysts, rule
    managers), as the case page needs; anyone else is refused."""

    @staff_member_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_perm("transactions_app.view_transaction"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@may_view_transactions
@content_security_policy
def network_page(request):
    """The graph of an account's network (``?account=…&days=…&until=…``),
    drawn by ``network.js`` from the JSON embedded in the page; without an
    account, only the form."""
    form = NetworkForm(request.GET or None)
    network = None
    if form.is_valid():
        network = money_flow_network(
            account=form.cleaned_data["account"],
            period=form.period(),
            edges_per_hop=form.edges_per_hop(),
        )
    context = {
        **admin.site.each_context(request),
        "title": "Money-flow network",
        "form": form,
        "network": network,
        "endpoints": {
            "network": reverse("transactions_app:network-data"),
            "activity": reverse("transactions_app:activity-data"),
            "transactions": reverse("admin:transactions_app_transaction_changelist"),
        },
    }
    return render(request, "transactions_app/network.html", context)


@may_view_transactions
def network_data(request):
    """``money_flow_network`` as JSON; 400 with the errors by field."""
    form = NetworkForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": form_errors(form)}, status=400)
    return JsonResponse(
        money_flow_network(
            account=form.cleaned_data["account"],
            period=form.period(),
            edges_per_hop=form.edges_per_hop(),
        )
    )


@may_view_transactions
def activity_data(request):
    """What an account sent and received in a period, as the case page's
    chart draws it; 400 with the errors by field."""
    form = AccountPeriodForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": form_errors(form)}, status=400)
    period, account = form.period(), form.cleaned_data["account"]
    return JsonResponse(
        {
            role_name: account_activity_series(
                account=account, role=role, until=period.until, days=period.days
            )
            for role_name, role in (("sent", "source"), ("received", "target"))
        }
    )
