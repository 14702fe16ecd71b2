"""The typology scan: money-laundering shapes in the stored payments of a
period, found in SQL that PostgreSQL runs on large tables.

Laundering moves money through intermediaries: accounts that receive
money and pass most of it on. The scan aggregates the period's payments
by receiver and by payer (two passes over its rows), keeps the
*intermediaries* (accounts that paid out between ``kept_min`` and all of
what they received, after they were first paid; payments to *hubs*, the
accounts ``hub_payers`` or more pay, such as shops, count as spending, and
hubs themselves are no intermediaries), reads only their payments into
temporary tables, and pairs them into *flows* (a payment into an
intermediary followed within ``hop_hours`` by a payment out of at least
``kept_min`` of it, in the same currency). On them it finds:

- ``cycle``: money back where it started, A → B → … → A, three to
  ``cycle_max_hops`` payments, each a flow from the one before, within
  ``cycle_max_days`` (a recursive CTE over the flows);
- ``scatter_gather``: one payer's money reaching one payee through at
  least ``scatter_min_intermediaries`` different intermediaries;
- ``fan_in``, ``fan_out``, ``gather_scatter``: an intermediary with at
  least ``fan_min`` payers, payees, or both, that never paid out more than
  it had received so far, and either gathered money before passing it on
  (at some moment it held ``gathered_min`` of all it received) or passed
  it on as it came (``kept_min`` of what it paid out were flows). Money
  that only goes round among people who pay each other both ways does
  neither. Built up over days or in an hour alike; the explanation says
  over how long.

Each finding is a ``Candidate``: its typology, a key that names it across
scans, the accounts in order and the ids of the rows involved. Amounts are
compared within one currency only; money that changes currency on the
way is not followed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction

TABLE = "transactions_app_transaction"


@dataclass(frozen=True, slots=True)
class ScanSettings:
    """What the scan looks for; the defaults suit payments of people and
    businesses. Raising ``hop_hours`` or ``cycle_max_hops`` finds slower
    or longer layering at a cost that grows with both."""

    hop_hours: float = 72.0
    kept_min: float = 0.8
    cycle_max_hops: int = 6
    cycle_max_days: float = 14.0
    scatter_min_intermediaries: int = 3
    fan_min: int = 5
    hub_payers: int = 50
    balance_tolerance: float = 0.05
    gathered_min: float = 0.5
    max_findings: int = 1000
    max_transactions: int = 200


DEFAULT_SCAN = ScanSettings()


@dataclass(frozen=True, slots=True)
class Candidate:
    """A shape found: ``key`` is the same for the same shape found by
    another scan (the findings are updated, not repeated); ``row_ids`` are
    the primary keys of the payments involved, at most
    ``max_transactions``."""

    typology: str
    key: str
    accounts: tuple[str, ...]
    row_ids: tuple[int, ...]


# Dropped before and after too: ON COMMIT DROP does not drop them when the
# scan runs inside an outer transaction (a savepoint).
DROP = "DROP TABLE IF EXISTS scan_flow, scan_tx, scan_via, scan_in, scan_out, scan_hub"
WINDOW = '"timestamp" >= %(since)s AND "timestamp" < %(until)s'
PREPARE = (
    DROP,
    # What each account received and sent in the period, by currency: two
    # passes over the period's rows, aggregated by pairs first so that no
    # DISTINCT (a sort) is needed.
    f"""CREATE TEMP TABLE scan_in ON COMMIT DROP AS
    SELECT target AS account, currency, count(*) AS payers,
           sum(amount) AS amount_in, min(first_at) AS first_in
      FROM (SELECT target, currency, source, sum(amount) AS amount,
                   min("timestamp") AS first_at
              FROM {TABLE} WHERE {WINDOW} AND source <> target
             GROUP BY target, currency, source) AS pairs
     GROUP BY target, currency""",
    # Hubs: accounts paid by hub_payers or more (shops, utilities, payment
    # processors). Paying one is spending, not passing money on; and a
    # hub's own turnover is business, not layering.
    """CREATE TEMP TABLE scan_hub ON COMMIT DROP AS
    SELECT DISTINCT account FROM scan_in WHERE payers >= %(hub_payers)s""",
    "ALTER TABLE scan_hub ADD PRIMARY KEY (account)",
    f"""CREATE TEMP TABLE scan_out ON COMMIT DROP AS
    SELECT source AS account, currency, count(*) AS payees,
           sum(amount) AS amount_out, min(first_at) AS first_out
      FROM (SELECT source, currency, target, sum(amount) AS amount,
                   min("timestamp") AS first_at
              FROM {TABLE} WHERE {WINDOW} AND source <> target
               AND NOT EXISTS (SELECT 1 FROM scan_hub h WHERE h.account = target)
             GROUP BY source, currency, target) AS pairs
     GROUP BY source, currency""",
    # The intermediaries money can pass through: accounts that paid out
    # between kept_min and all of what they received, after they were
    # first paid. Ordinary people and shops are not among them (they
    # spend money of their own, or only receive), so what follows reads
    # few rows.
    """CREATE TEMP TABLE scan_via ON COMMIT DROP AS
    SELECT i.account, i.currency, i.payers, o.payees, i.amount_in,
           o.amount_out
      FROM scan_in i JOIN scan_out o USING (account, currency)
     WHERE o.amount_out >= i.amount_in * %(kept_min)s
       AND o.amount_out <= i.amount_in
       AND o.first_out > i.first_in
       AND i.payers < %(hub_payers)s""",
    "ALTER TABLE scan_via ADD PRIMARY KEY (account, currency)",
    # Their payments in and out, read through the (source, time) and
    # (target, time) indexes.
    f"""CREATE TEMP TABLE scan_tx ON COMMIT DROP AS
    SELECT t.id, t.source, t.target, t.amount, t.currency, t."timestamp" AS at
      FROM scan_via v JOIN {TABLE} t
        ON t.target = v.account AND t.currency = v.currency
     WHERE t.{WINDOW} AND t.source <> t.target
    UNION
    SELECT t.id, t.source, t.target, t.amount, t.currency, t."timestamp"
      FROM scan_via v JOIN {TABLE} t
        ON t.source = v.account AND t.currency = v.currency
     WHERE t.{WINDOW} AND t.source <> t.target
       AND NOT EXISTS (SELECT 1 FROM scan_hub h WHERE h.account = t.target)""",
    "CREATE INDEX ON scan_tx (source, currency, at)",
    "ANALYZE scan_tx",
    # A payment into an intermediary, then one out of most of it, soon
    # after.
    """CREATE TEMP TABLE scan_flow ON COMMIT DROP AS
    SELECT i.id AS in_id, o.id AS out_id, i.source AS payer, i.target AS via,
           o.target AS payee, i.at AS in_at, o.at AS out_at, i.currency,
           o.amount AS out_amount
      FROM scan_tx i
      JOIN scan_via v ON v.account = i.target AND v.currency = i.currency
      JOIN scan_tx o
        ON o.source = i.target AND o.currency = i.currency
       AND o.at > i.at AND o.at <= i.at + %(hop)s
       AND o.amount >= i.amount * %(kept_min)s AND o.amount <= i.amount""",
    "CREATE INDEX ON scan_flow (in_id)",
    "ANALYZE scan_flow",
)

CYCLES = """
WITH RECURSIVE walk (origin, head, last_id, started, accounts, ids, hops) AS (
    SELECT payer, payee, out_id, in_at, ARRAY[payer, via, payee]::text[],
           ARRAY[in_id, out_id], 2
      FROM scan_flow
     WHERE payee <> payer
  UNION ALL
    SELECT w.origin, f.payee, f.out_id, w.started, w.accounts || f.payee::text,
           w.ids || f.out_id, w.hops + 1
      FROM walk w
      JOIN scan_flow f ON f.in_id = w.last_id
     WHERE w.hops < %(max_hops)s AND w.head <> w.origin
       AND f.out_at <= w.started + %(cycle_span)s
       AND (f.payee = w.origin OR f.payee <> ALL (w.accounts))
)
SELECT accounts, ids FROM walk
 WHERE head = origin AND hops >= 3
 LIMIT %(limit)s
"""

SCATTER_GATHER = """
SELECT payer, payee, array_agg(DISTINCT via), array_agg(DISTINCT in_id),
       array_agg(DISTINCT out_id)
  FROM scan_flow
 WHERE payee <> payer
 GROUP BY payer, payee, currency
HAVING count(DISTINCT via) >= %(min_vias)s
 ORDER BY count(DISTINCT via) DESC, payer, payee
 LIMIT %(limit)s
"""

# Pass-through accounts with many payers or payees: intermediaries that
# never paid out more than received so far (their running balance in the
# period, in one currency, stays above -tolerance of what came in).
PASS_THROUGH = """
WITH candidate AS (
    SELECT * FROM scan_via
     WHERE payers >= %(fan_min)s OR payees >= %(fan_min)s
), moves AS (
    SELECT c.account, c.currency, t.id, t.at, t.amount AS change
      FROM candidate c JOIN scan_tx t
        ON t.target = c.account AND t.currency = c.currency
  UNION ALL
    SELECT c.account, c.currency, t.id, t.at, -t.amount
      FROM candidate c JOIN scan_tx t
        ON t.source = c.account AND t.currency = c.currency
), ledger AS (
    SELECT account, currency, id, at,
           sum(change) OVER (PARTITION BY account, currency
                             ORDER BY at, change DESC, id) AS balance
      FROM moves
), passed_on AS (
    SELECT via AS account, currency, sum(out_amount) AS amount
      FROM (SELECT DISTINCT via, currency, out_id, out_amount
              FROM scan_flow) AS outs
     GROUP BY via, currency
)
SELECT c.account, c.payers, c.payees,
       (array_agg(l.id ORDER BY l.at, l.id))[1:%(max_transactions)s]
  FROM candidate c
  JOIN ledger l USING (account, currency)
  LEFT JOIN passed_on p USING (account, currency)
 GROUP BY c.account, c.currency, c.payers, c.payees, c.amount_in, c.amount_out,
          p.amount
HAVING min(l.balance) >= -%(tolerance)s * c.amount_in
   AND (max(l.balance) >= %(gathered_min)s * c.amount_in
        OR coalesce(p.amount, 0) >= %(kept_min)s * c.amount_out)
 ORDER BY c.amount_in DESC, c.account
 LIMIT %(limit)s
"""


def scan(
    *, since: datetime, until: datetime, settings: ScanSettings
) -> list[Candidate]:
    """The shapes in the payments stored with an event time in ``[since,
    until)``. Runs in one database transaction of its own (the temporary
    tables go with it); PostgreSQL only."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The typology scan needs PostgreSQL.")
    params = _params(since, until, settings)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # Only before the session's first temporary table; no effect after.
        cursor.execute("SET LOCAL temp_buffers = '256MB'")
        for statement in PREPARE:
            cursor.execute(statement, params)
        found = _cycles(cursor, params, settings)
        found += _scatter_gathers(cursor, params, settings)
        found += _pass_throughs(cursor, params, settings)
        cursor.execute(DROP)
    return found


def _params(since, until, settings: ScanSettings) -> dict:
    return {
        "since": since,
        "until": until,
        "hop": timedelta(hours=settings.hop_hours),
        "kept_min": Decimal(str(settings.kept_min)),
        "max_hops": settings.cycle_max_hops,
        "cycle_span": timedelta(days=settings.cycle_max_days),
        "min_vias": settings.scatter_min_intermediaries,
        "fan_min": settings.fan_min,
        "hub_payers": settings.hub_payers,
        "tolerance": Decimal(str(settings.balance_tolerance)),
        "gathered_min": Decimal(str(settings.gathered_min)),
        "max_transactions": settings.max_transactions,
        "limit": settings.max_findings,
    }


def _cycles(cursor, params, settings: ScanSettings) -> list[Candidate]:
    """Each ring once, under the key of its accounts in sorted order (the
    same ring found from two starts, or again later, is one finding)."""
    cursor.execute(CYCLES, params)
    rings: dict[str, Candidate] = {}
    for accounts, ids in cursor.fetchall():
        key = "cycle:" + ",".join(sorted(set(accounts)))
        if key not in rings:
            rings[key] = Candidate(
                "cycle", key, tuple(accounts), tuple(ids[: settings.max_transactions])
            )
    return list(rings.values())


def _scatter_gathers(cursor, params, settings: ScanSettings) -> list[Candidate]:
    cursor.execute(SCATTER_GATHER, params)
    return [
        Candidate(
            "scatter_gather",
            f"scatter_gather:{payer}>{payee}",
            (payer, *sorted(vias), payee),
            tuple(sorted(ins + outs)[: settings.max_transactions]),
        )
        for payer, payee, vias, ins, outs in cursor.fetchall()
    ]


def _pass_throughs(cursor, params, settings: ScanSettings) -> list[Candidate]:
    cursor.execute(PASS_THROUGH, params)
    found = []
    for account, payers, payees, ids in cursor.fetchall():
        typology = pass_through_typology(payers=payers, payees=payees)
        found.append(
            Candidate(typology, f"{typology}:{account}", (account,), tuple(ids))
        )
    return found


def pass_through_typology(*, payers: int, payees: int) -> str:
    """A pass-through account's shape by its counterparties: many in and
    one or two out gathers (fan-in), one or two in and many out disperses
    (fan-out), many on both sides is gather-scatter."""
    if payees <= 2:
        return "fan_in"
    if payers <= 2:
        return "fan_out"
    return "gather_scatter"
