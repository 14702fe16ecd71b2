"""The transaction table's partitions on PostgreSQL: their layout, the
ones made ahead of time, and the legit ones dropped whole by retention.

The table is partitioned by ``LIST (outcome)`` into two branches, each
partitioned by ``RANGE (timestamp)`` (the event time, UTC):

- ``legit``: one partition per day, dropped whole once the day is more
  than ``RETENTION_DAYS`` old, instead of deleting its rows one by one;
- ``flagged`` (review and fraud): one partition per month, kept (cases
  and their audit trail are never purged).

Each branch has a ``DEFAULT`` partition for event times that no partition
covers (a producer's clock far off, or maintenance that did not run for
a week), so an insert never fails for want of a partition; creating the
partition later moves those rows into it.

Every function takes a cursor and runs SQL only: the migration that
partitions an existing table uses them too. Functions that change more
than one thing must run inside a transaction.
"""

from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

TABLE = "transactions_app_transaction"
# Days of legit partitions made ahead of today (and months of flagged).
DAYS_AHEAD = 7
# How long a drop waits for the branch's lock before it gives up for
# this run: a long admin query must not queue the detector's inserts
# behind the drop.
DROP_LOCK_TIMEOUT = "5s"


@dataclass(frozen=True)
class Branch:
    """One branch of the table: the outcomes it holds and the length of
    its partitions (a day or a month)."""

    name: str
    outcomes: tuple[str, ...]
    monthly: bool

    @property
    def table(self) -> str:
        return f"{TABLE}_{self.name}"

    @property
    def default(self) -> str:
        return f"{self.table}_default"

    def start_of(self, day: date) -> date:
        """The first day of the partition that holds ``day``."""
        return day.replace(day=1) if self.monthly else day

    def end_of(self, start: date) -> date:
        """The first day after the partition that starts on ``start``."""
        if self.monthly:
            return start + timedelta(days=monthrange(start.year, start.month)[1])
        return start + timedelta(days=1)

    def partition(self, start: date) -> str:
        return f"{self.table}_{start:%Y%m%d}"

    def start_in_name(self, name: str) -> date | None:
        """The start day a partition's name gives (None: not one of ours,
        such as the default)."""
        suffix = name.removeprefix(f"{self.table}_")
        if len(suffix) != 8 or not suffix.isdigit():
            return None
        return date(int(suffix[:4]), int(suffix[4:6]), int(suffix[6:]))


LEGIT = Branch("legit", ("legit",), monthly=False)
FLAGGED = Branch("flagged", ("review", "fraud"), monthly=True)
BRANCHES = (LEGIT, FLAGGED)


def is_partitioned(cursor) -> bool:
    cursor.execute("SELECT relkind FROM pg_class WHERE relname = %s", [TABLE])
    row = cursor.fetchone()
    return row is not None and row[0] == "p"


def create_branches(cursor) -> None:
    """Make the two branches and their default partitions under the
    (empty, just created) partitioned table."""
    for branch in BRANCHES:
        outcomes = ", ".join(f"'{outcome}'" for outcome in branch.outcomes)
        cursor.execute(
            f"CREATE TABLE {branch.table} PARTITION OF {TABLE} "
            f"FOR VALUES IN ({outcomes}) PARTITION BY RANGE (timestamp)"
        )
        cursor.execute(
            f"CREATE TABLE {branch.default} PARTITION OF {branch.table} DEFAULT"
        )


def partition_starts(cursor, branch: Branch) -> list[date]:
    """The start days of the branch's partitions, oldest first (the
    default partition left out)."""
    cursor.execute(
        "SELECT child.relname FROM pg_inherits "
        "JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
        "JOIN pg_class parent ON parent.oid = pg_inherits.inhparent "
        "WHERE parent.relname = %s",
        [branch.table],
    )
    starts = (branch.start_in_name(name) for (name,) in cursor.fetchall())
    return sorted(start for start in starts if start is not None)


def ensure_partitions(
    cursor, *, first: date, last: date, branches: tuple[Branch, ...] = BRANCHES
) -> list[str]:
    """Make every partition missing between the days ``first`` and
    ``last`` (both included) in ``branches``; returns their names.

    Rows of a new partition's range waiting in the default partition are
    moved into it: the partition is made as a table of its own, filled,
    and attached, so the default partition never holds rows a partition
    covers (PostgreSQL refuses the attach otherwise). Run it inside a
    transaction."""
    made = []
    for branch in branches:
        existing = set(partition_starts(cursor, branch))
        start = branch.start_of(first)
        while start <= last:
            if start not in existing:
                _attach(cursor, branch, start)
                made.append(branch.partition(start))
            start = branch.end_of(start)
    return made


def _attach(cursor, branch: Branch, start: date) -> None:
    name = branch.partition(start)
    lower, upper = midnight(start), midnight(branch.end_of(start))
    in_range = "timestamp >= %s AND timestamp < %s"
    cursor.execute(
        f"CREATE TABLE {name} (LIKE {branch.table} INCLUDING DEFAULTS "
        "INCLUDING CONSTRAINTS INCLUDING STORAGE)"
    )
    cursor.execute(
        f"WITH moved AS (DELETE FROM {branch.default} WHERE {in_range} RETURNING *) "
        f"INSERT INTO {name} SELECT * FROM moved",
        [lower, upper],
    )
    cursor.execute(
        f"ALTER TABLE {branch.table} ATTACH PARTITION {name} "
        "FOR VALUES FROM (%s) TO (%s)",
        [lower, upper],
    )


def midnight(day: date) -> datetime:
    """The start of ``day``, UTC: where partitions begin and end."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True)
class Dropped:
    """A legit partition retention dropped: its name, about how many rows
    it held (the planner's estimate: counting them would read them all),
    and how many it kept, moved to the default partition because an
    analyst or an alert had touched them."""

    name: str
    estimated_rows: int
    kept: int


def expired_legit_starts(cursor, *, before: date) -> list[date]:
    """The start days of the legit partitions whose days all lie before
    ``before``, oldest first."""
    return [
        start
        for start in partition_starts(cursor, LEGIT)
        if LEGIT.end_of(start) <= before
    ]


def drop_legit_partition(cursor, start: date) -> Dropped:
    """Drop the legit partition that starts on ``start``.

    A legit row never has a review status, an assignee nor an alert time
    (the branch's check, migration 0028), but one that an audit entry or
    an alert outbox row refers to is kept all the same: the partition is
    detached, those rows go to the default partition (which now covers
    their day) and the rest goes with the table. Run it inside a
    transaction of its own: it waits at most ``DROP_LOCK_TIMEOUT`` for the
    branch's lock, and holds it until the commit."""
    name = LEGIT.partition(start)
    cursor.execute(f"SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'")
    cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [name])
    estimated = max(cursor.fetchone()[0], 0)
    cursor.execute(f"ALTER TABLE {LEGIT.table} DETACH PARTITION {name}")
    cursor.execute(f"SELECT min(id), max(id) FROM {name}")
    lowest, highest = cursor.fetchone()
    cursor.execute(
        f"INSERT INTO {LEGIT.table} SELECT * FROM {name} WHERE id IN ({_TOUCHED})",
        {"lowest": lowest, "highest": highest},
    )
    kept = cursor.rowcount
    # The kept rows' deferred foreign key checks (the assignee) are
    # pending, and a table with pending checks cannot be dropped: run them.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(f"DROP TABLE {name}")
    return Dropped(name, estimated, kept)


# The ids of a partition's rows that something refers to, read by the
# indexes of the two tables' foreign keys over the partition's id range,
# so that a partition of a billion rows is not read to find the few.
_TOUCHED = (
    "SELECT transaction_id FROM transactions_app_reviewevent "
    "WHERE transaction_id BETWEEN %(lowest)s AND %(highest)s "
    "UNION SELECT transaction_id FROM transactions_app_alertdelivery "
    "WHERE transaction_id BETWEEN %(lowest)s AND %(highest)s"
)
