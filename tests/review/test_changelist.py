"""The transactions changelist at volume: a capped count, a date hierarchy
answered by per-period probes, and exact search on indexed columns."""

from datetime import UTC, datetime

import pytest

from tests.factories import stored_transaction
from transactions_app.models import Transaction
from transactions_app.review.changelist import DateHierarchyQuerySet

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/transactions_app/transaction/"
MOMENTS = [
    datetime(2025, 12, 31, 23, 59, tzinfo=UTC),
    datetime(2026, 5, 1, 0, 0, tzinfo=UTC),
    datetime(2026, 5, 4, 10, 0, tzinfo=UTC),
    datetime(2026, 5, 4, 23, 59, 59, tzinfo=UTC),
    datetime(2026, 5, 31, 12, 0, tzinfo=UTC),
    datetime(2026, 6, 1, 0, 0, tzinfo=UTC),
]


@pytest.fixture
def spread():
    for moment in MOMENTS:
        row = stored_transaction("legit")
        Transaction.objects.filter(pk=row.pk).update(timestamp=moment)


@pytest.mark.parametrize("kind", ["year", "month", "day"])
def test_the_probed_periods_are_the_ones_distinct_would_find(spread, kind):
    probed = DateHierarchyQuerySet(model=Transaction).datetimes("timestamp", kind)
    assert list(probed) == list(Transaction.objects.datetimes("timestamp", kind))


def test_the_probes_respect_the_filters(spread):
    queryset = DateHierarchyQuerySet(model=Transaction).filter(
        timestamp__year=2026, timestamp__month=5
    )
    days = [moment.day for moment in queryset.datetimes("timestamp", "day")]
    assert days == [1, 4, 31]
    assert list(queryset.filter(amount__gt=1000).datetimes("timestamp", "day")) == []


def test_the_date_hierarchy_drills_down(admin_client, spread):
    top = admin_client.get(CHANGELIST).content.decode()
    assert "?timestamp__year=2025" in top and "?timestamp__year=2026" in top
    year = admin_client.get(CHANGELIST, {"timestamp__year": 2026}).content.decode()
    assert "timestamp__month=5" in year and "timestamp__month=6" in year
    month = admin_client.get(
        CHANGELIST, {"timestamp__year": 2026, "timestamp__month": 5}
    )
    html = month.content.decode()
    for day in (1, 4, 31):
        assert f"timestamp__day={day}" in html
    assert "timestamp__day=2&" not in html
    day = admin_client.get(
        CHANGELIST,
        {"timestamp__year": 2026, "timestamp__month": 5, "timestamp__day": 4},
    )
    assert len(day.context["cl"].result_list) == 2


def test_the_count_stops_at_the_cap(admin_client, monkeypatch):
    """Beyond the cap the list says "more than", and pages end at the cap."""
    from transactions_app.review.admin import TransactionAdmin

    monkeypatch.setattr("transactions_app.review.changelist.COUNT_CAP", 3)
    monkeypatch.setattr(TransactionAdmin, "list_per_page", 2)
    for _ in range(5):
        stored_transaction("legit")
    first = admin_client.get(CHANGELIST)
    assert "more than 3 transactions" in first.content.decode()
    assert len(first.context["cl"].result_list) == 2
    assert len(admin_client.get(CHANGELIST, {"p": 2}).context["cl"].result_list) == 1
    assert admin_client.get(CHANGELIST, {"p": 3})["Location"].endswith("?e=1")
    few = admin_client.get(CHANGELIST, {"q": "nobody"})
    assert "0 transactions" in few.content.decode()


def test_search_matches_ids_and_accounts_exactly(admin_client):
    sent = stored_transaction("legit", source="Kk1Aa2")
    received = stored_transaction("legit")
    Transaction.objects.filter(pk=received.pk).update(target="Kk1Aa2")
    stored_transaction("legit")

    def found(term):
        response = admin_client.get(CHANGELIST, {"q": term})
        return {row.pk for row in response.context["cl"].result_list}

    assert found("Kk1Aa2") == {sent.pk, received.pk}
    assert found(" Kk1Aa2 ") == {sent.pk, received.pk}
    assert found("kk1aa2") == set()  # accounts are case-sensitive
    assert found(str(sent.transaction_id).upper()) == {sent.pk}


def test_the_list_offers_no_facet_counts(admin_client):
    """Counts per filter choice would read every row of a large table."""
    stored_transaction("fraud")
    response = admin_client.get(CHANGELIST, {"_facets": "True"})
    assert response.status_code == 200
    assert "Show counts" not in response.content.decode()
    assert not response.context["cl"].add_facets
