"""The transaction table's partitions on PostgreSQL: made ahead, rows of
a day no partition covered moved into its partition when it is made, and
an insert never refused for want of one."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection
from django.db import transaction as db_transaction
from django.utils import timezone

from tests.factories import stored_transaction
from tests.ingest.test_retention import at
from transactions_app.ingest import partitions

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions"),
]


def table_of(row) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tableoid::regclass::text FROM {partitions.TABLE} WHERE id = %s",
            [row.pk],
        )
        return cursor.fetchone()[0]


def test_the_table_is_partitioned_by_outcome_then_time():
    with connection.cursor() as cursor:
        assert partitions.is_partitioned(cursor)
        today = timezone.now().date()
        legit = partitions.partition_starts(cursor, partitions.LEGIT)
        flagged = partitions.partition_starts(cursor, partitions.FLAGGED)
    assert today in legit and today + timedelta(days=partitions.DAYS_AHEAD) in legit
    assert today.replace(day=1) in flagged


def test_rows_go_to_their_outcome_and_day():
    now = timezone.now()
    legit = at(stored_transaction("legit"), now)
    fraud = at(stored_transaction("fraud"), now)
    assert table_of(legit) == partitions.LEGIT.partition(now.date())
    assert table_of(fraud) == partitions.FLAGGED.partition(now.date().replace(day=1))


def test_a_day_no_partition_covers_waits_in_the_default_one_and_moves():
    far = timezone.now() + timedelta(days=400)
    waiting = at(stored_transaction("legit"), far)
    assert table_of(waiting) == partitions.LEGIT.default
    with connection.cursor() as cursor:
        made = partitions.ensure_partitions(cursor, first=far.date(), last=far.date())
    assert made == [
        partitions.LEGIT.partition(far.date()),
        partitions.FLAGGED.partition(far.date().replace(day=1)),
    ]
    assert table_of(waiting) == partitions.LEGIT.partition(far.date())


def test_months_and_days_have_their_lengths():
    february = partitions.FLAGGED.start_of(timezone.now().date().replace(2028, 2, 17))
    assert partitions.FLAGGED.end_of(february) == february.replace(month=3)
    assert partitions.LEGIT.end_of(february) == february + timedelta(days=1)
    assert partitions.LEGIT.start_in_name(partitions.LEGIT.default) is None


@pytest.mark.parametrize(
    "change",
    [{"review_status": "new"}, {"alerted_at": "now"}, {"assignee": "user"}],
)
def test_a_legit_row_has_no_review_status_assignee_nor_alert(change, django_user_model):
    """What the review services and alerts never do to a legit row, the
    legit branch refuses (and the planner, knowing it, reads no legit
    partition for a review filter)."""
    row = stored_transaction("legit")
    values = {
        "review_status": "new",
        "alerted_at": timezone.now(),
        "assignee": django_user_model.objects.create_user("ana"),
    }
    field = next(iter(change))
    setattr(row, field, values[field])
    with pytest.raises(IntegrityError, match="tx_legit_unreviewed"):
        with db_transaction.atomic():
            row.save()


def test_a_review_filter_reads_no_legit_partition():
    from transactions_app.models import Transaction

    plan = Transaction.objects.filter(review_status="escalated").explain()
    assert partitions.FLAGGED.table in plan
    assert partitions.LEGIT.table not in plan
