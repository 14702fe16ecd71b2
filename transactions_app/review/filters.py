"""Changelist filters for transactions: the work queue, who has the case, which rule
fired, and an amount range. A value that cannot be used gets a message in
admin and the filter is left out, never an error page."""

from decimal import Decimal, InvalidOperation

from django.contrib import admin, messages

from ..rules.quality import rule_names
from .queues import QUEUES, UnknownQueue, queue_filter
from .selectors import reviewers, transactions_where_rule_fired


class QueueFilter(admin.SimpleListFilter):
    """The work queues (``queues.QUEUES``): open cases only; the list is
    then in priority order (``TransactionAdmin.get_ordering``)."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return list(QUEUES.items())

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:
            return queue_filter(queryset, queue=self.value(), user=request.user)
        except UnknownQueue as error:
            messages.error(request, f"{error} Not filtered.")
            return queryset


class AssigneeFilter(admin.SimpleListFilter):
    """Cases assigned to me, unassigned flagged cases, or one reviewer's."""

    title = "assignee"
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        people = [(str(user.pk), user.get_username()) for user in reviewers()]
        return [("me", "Me"), ("none", "Unassigned (flagged)"), *people]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value == "me":
            return queryset.filter(assignee=request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True).exclude(review_status="")
        if value.isascii() and value.isdigit():  # not "²", which int() refuses
            return queryset.filter(assignee_id=int(value))
        messages.error(request, f"Assignee {value!r} is not a user; not filtered.")
        return queryset


class FiredRuleFilter(admin.SimpleListFilter):
    """Transactions where a rule fired: ``reasons`` holds one
    ``{"rule": name, ...}`` per rule, and the containment query is answered
    by a GIN index on PostgreSQL (migration 0011)."""

    title = "rule that fired"
    parameter_name = "rule"

    def lookups(self, request, model_admin):
        return [(name, name) for name in rule_names()]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return transactions_where_rule_fired(queryset, self.value())


# Amounts are numeric(14, 2); a bound beyond that (1e1001, say) is refused
# here rather than by PostgreSQL.
MAX_BOUND = Decimal("999999999999.99")


class AmountRangeFilter(admin.ListFilter):
    """Amounts from a minimum and/or up to a maximum, both included."""

    title = "amount"
    template = "admin/transactions_app/amount_range_filter.html"
    parameters = {"amount_min": "gte", "amount_max": "lte"}

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.raw = {
            name: params.pop(name)[-1].strip()
            for name in self.parameters
            if name in params
        }
        self.bounds = self._bounds(request)
        self.used_parameters = {name: self.raw[name] for name in self.bounds}

    def _bounds(self, request) -> dict[str, Decimal]:
        bounds = {}
        for name, text in self.raw.items():
            try:
                value = Decimal(text)
            except InvalidOperation:
                value = None
            label = "Minimum" if name == "amount_min" else "Maximum"
            if value is None or not value.is_finite():
                messages.error(
                    request, f"{label} amount {text!r} is not a number; not filtered."
                )
            elif abs(value) > MAX_BOUND:
                messages.error(
                    request,
                    f"{label} amount {text!r} is beyond {MAX_BOUND}; not filtered.",
                )
            else:
                bounds[name] = value
        low, high = bounds.get("amount_min"), bounds.get("amount_max")
        if low is not None and high is not None and low > high:
            messages.error(
                request,
                f"Minimum amount {low} is above the maximum {high}; not filtered.",
            )
            return {}
        return bounds

    def has_output(self):
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def queryset(self, request, queryset):
        lookups = {
            f"amount__{self.parameters[name]}": value
            for name, value in self.bounds.items()
        }
        return queryset.filter(**lookups)

    def choices(self, changelist):
        """One entry for the template: the values to show, the other
        parameters of the list to keep, and the link that clears the
        range."""
        keep = {
            name: value
            for name, value in changelist.params.items()
            if name not in self.parameters and name != "p"
        }
        yield {
            "selected": bool(self.bounds),
            "minimum": self.raw.get("amount_min", ""),
            "maximum": self.raw.get("amount_max", ""),
            "keep": sorted(keep.items()),
            "query_string": changelist.get_query_string(remove=list(self.parameters)),
            "display": "All",
        }
