"""The money-flow network of an account: who paid whom, within two hops,
over a period.

An edge is every payment from one account to another in the period, summed:
its total, its count, how many were flagged and how many confirmed as fraud.
Each hop keeps only its ``edges_per_hop`` largest edges by total, so a
merchant with 100,000 customers costs one aggregate over its own payments
and a bounded second hop, never a graph of 100,000 nodes.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, Sum

from ..models import AccountListEntry, ReviewStatus, Transaction

NETWORK_DAYS = 30
NETWORK_MAX_DAYS = 366
NETWORK_EDGES_PER_HOP = 100
NETWORK_MAX_EDGES_PER_HOP = 500
# Lists whose accounts are marked: known or suspected mules (block, watch)
# and known shops (merchant).
MARKED_LISTS = ("block", "watch", "merchant")


@dataclass(frozen=True)
class Period:
    """The ``days`` days up to ``until``."""

    until: datetime
    days: int

    @property
    def since(self) -> datetime:
        return self.until - timedelta(days=self.days)


def money_flow_network(
    *, account: str, period: Period, edges_per_hop: int = NETWORK_EDGES_PER_HOP
) -> dict:
    """The accounts within two hops of ``account`` in ``period`` and the
    edges between them: ``{"account", "since", "until", "nodes", "edges",
    "truncated"}``. An edge is ``{"source", "target", "total", "count",
    "flagged", "confirmed", "hop"}``; a node is ``{"id", "hop", "lists",
    "mule"}``, where ``mule`` means on the block or watch list, or the
    receiver of a payment confirmed as fraud. ``truncated`` says a hop had
    more edges than it kept. Three queries, whatever the account's size."""
    first, first_cut = _top_edges(
        Q(source=account) | Q(target=account), period, edges_per_hop
    )
    neighbours = {end for edge in first for end in (edge["source"], edge["target"])}
    neighbours.discard(account)
    second, second_cut = _top_edges(
        (Q(source__in=neighbours) | Q(target__in=neighbours))
        & ~Q(source=account)
        & ~Q(target=account),
        period,
        edges_per_hop,
    )
    for edge in first:
        edge["hop"] = 1
    for edge in second:
        edge["hop"] = 2
    edges = first + second
    return {
        "account": account,
        "since": period.since.isoformat(timespec="seconds"),
        "until": period.until.isoformat(timespec="seconds"),
        "nodes": _nodes(account, neighbours, edges),
        "edges": edges,
        "truncated": first_cut or second_cut,
    }


def _top_edges(where: Q, period: Period, limit: int) -> tuple[list[dict], bool]:
    """The ``limit`` largest edges (by total) among the payments ``where``
    selects in ``period``, and whether there were more. One query."""
    if not limit:
        return [], False
    rows = list(
        Transaction.objects.filter(
            where, timestamp__gt=period.since, timestamp__lte=period.until
        )
        .values("source", "target")
        .annotate(
            total=Sum("amount"),
            count=Count("id"),
            flagged=Count("id", filter=Q(outcome__in=Transaction.FLAGGED_OUTCOMES)),
            confirmed=Count("id", filter=Q(review_status=ReviewStatus.CONFIRMED)),
        )
        .order_by("-total", "source", "target")[: limit + 1]
    )
    for row in rows:
        row["total"] = float(row["total"])
    return rows[:limit], len(rows) > limit


def _nodes(account: str, neighbours: set[str], edges: list[dict]) -> list[dict]:
    """Every account the edges touch, with its hop from ``account`` and the
    lists it is on. One query."""
    hops = {account: 0, **{name: 1 for name in neighbours}}
    for edge in edges:
        for end in (edge["source"], edge["target"]):
            hops.setdefault(end, 2)
    lists: dict[str, list[str]] = {}
    for name, list_name in AccountListEntry.objects.filter(
        account__in=hops, list_name__in=MARKED_LISTS
    ).values_list("account", "list_name"):
        lists.setdefault(name, []).append(list_name)
    received_fraud = {edge["target"] for edge in edges if edge["confirmed"]}
    return [
        {
            "id": name,
            "hop": hop,
            "lists": sorted(lists.get(name, ())),
            "mule": name in received_fraud
            or bool({"block", "watch"} & set(lists.get(name, ()))),
        }
        for name, hop in sorted(hops.items(), key=lambda item: (item[1], item[0]))
    ]
