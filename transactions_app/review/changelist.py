"""The transactions changelist at volume (a million rows and more).

Three things Django admin does on every page load read every row of a large
table: counting all matching rows for the paginator, the date hierarchy's
``SELECT DISTINCT date_trunc(...)``, and the ``=field`` search, which
compares upper-cased text. Here the count stops at ``COUNT_CAP``, the date
hierarchy probes each period with an index range scan, and the search is
an exact match on indexed columns.
"""

import uuid
from datetime import datetime

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import DateTimeField, Max, Min, Q, QuerySet, Value
from django.utils import timezone
from django.utils.functional import cached_property

COUNT_CAP = 10_000
MAX_PERIODS = 62


class CappedCountPaginator(Paginator):
    """Counts at most ``COUNT_CAP`` rows; ``capped`` says there are more.
    Pages go up to the cap (200 pages of 50); beyond it, filters and the
    date hierarchy narrow the list."""

    @cached_property
    def _counted(self) -> int:
        # The order is irrelevant to how many rows there are (up to the cap).
        return self.object_list.order_by()[: COUNT_CAP + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self._counted > COUNT_CAP


class DateHierarchyQuerySet(QuerySet):
    """A queryset whose ``datetimes()`` (what the date hierarchy lists)
    asks, in one query, whether each period between the first and the last
    matching row holds a row: one index probe per period instead of a
    DISTINCT over every row."""

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        features = connections[self.db].features
        if tzinfo is not None or not features.supports_slicing_ordering_in_compound:
            return super().datetimes(field_name, kind, order, tzinfo)  # SQLite
        periods = self._periods(field_name, kind)
        if periods is None:
            return super().datetimes(field_name, kind, order, tzinfo)
        probes = [
            self.filter(**{f"{field_name}__gte": start, f"{field_name}__lt": end})
            .order_by()
            .annotate(period=Value(start, output_field=DateTimeField()))
            .values_list("period", flat=True)[:1]
            for start, end in periods
        ]
        if not probes:
            return []
        first, *rest = probes
        found = sorted(first.union(*rest, all=True), reverse=order == "DESC")
        return [timezone.localtime(moment) for moment in found]

    def _periods(self, field_name, kind) -> list[tuple] | None:
        """(start, end) of every ``kind`` period from the first matching row
        to the last, in the current time zone; None when there are too many
        to probe (the plain query is then used)."""
        if kind not in STEP:
            return None
        span = self.aggregate(first=Min(field_name), last=Max(field_name))
        if span["first"] is None:
            return []
        start = truncate(timezone.localtime(span["first"]), kind)
        last = timezone.localtime(span["last"])
        periods = []
        while start <= last.replace(tzinfo=None):
            end = STEP[kind](start)
            periods.append((aware(start), aware(end)))
            start = end
            if len(periods) > MAX_PERIODS:
                return None
        return periods


def truncate(moment: datetime, kind: str) -> datetime:
    """The naive local start of the year, month or day holding ``moment``."""
    moment = moment.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    if kind in ("month", "year"):
        moment = moment.replace(day=1)
    if kind == "year":
        moment = moment.replace(month=1)
    return moment


def next_month(moment: datetime) -> datetime:
    if moment.month == 12:
        return moment.replace(year=moment.year + 1, month=1)
    return moment.replace(month=moment.month + 1)


STEP = {
    "year": lambda moment: moment.replace(year=moment.year + 1),
    "month": next_month,
    "day": lambda moment: datetime.fromordinal(moment.toordinal() + 1),
}


def aware(naive: datetime) -> datetime:
    return timezone.make_aware(naive, timezone.get_current_timezone())


def transactions_search(queryset, term: str):
    """Exact matches that the indexes answer: a transaction id, or an
    account as source or target (accounts are case-sensitive)."""
    term = term.strip()
    if not term:
        return queryset
    try:
        return queryset.filter(transaction_id=uuid.UUID(term))
    except ValueError:
        return queryset.filter(Q(source=term) | Q(target=term))
