"""The money-flow network: two hops over a period, the largest edges of
each hop, accounts marked as mules or merchants, in three queries."""

from datetime import timedelta

import pytest

from tests.factories import NOW, stored_payment
from transactions_app.investigations.network import Period, money_flow_network
from transactions_app.models import AccountListEntry

pytestmark = pytest.mark.django_db

MONTH = Period(until=NOW, days=30)


def edges_of(network) -> dict:
    return {(e["source"], e["target"]): e for e in network["edges"]}


def hops_of(network) -> dict:
    return {node["id"]: node["hop"] for node in network["nodes"]}


def test_two_hops_summed_per_pair_over_the_period():
    stored_payment("card-1", "mule", "100.00")
    stored_payment("card-1", "mule", "50.00", outcome="review")
    stored_payment("card-2", "mule", "70.00")
    stored_payment("mule", "cash-out", "200.00")
    stored_payment("cash-out", "far-away", "180.00")  # three hops from card-1
    stored_payment("card-1", "mule", "999.00", timestamp=NOW - timedelta(days=31))
    stored_payment("card-1", "mule", "999.00", timestamp=NOW + timedelta(seconds=1))
    network = money_flow_network(account="card-1", period=MONTH)
    edges = edges_of(network)
    assert set(edges) == {("card-1", "mule"), ("card-2", "mule"), ("mule", "cash-out")}
    first = edges["card-1", "mule"]
    assert (first["total"], first["count"], first["flagged"], first["hop"]) == (
        150.0,
        2,
        1,
        1,
    )
    assert edges["mule", "cash-out"]["hop"] == 2
    assert hops_of(network) == {"card-1": 0, "mule": 1, "card-2": 2, "cash-out": 2}
    assert not network["truncated"]


def test_payments_received_count_as_much_as_payments_sent():
    stored_payment("payer", "card-1", "30.00")
    stored_payment("card-1", "payer", "10.00")  # a cycle of two
    network = money_flow_network(account="card-1", period=MONTH)
    assert set(edges_of(network)) == {("payer", "card-1"), ("card-1", "payer")}
    assert hops_of(network) == {"card-1": 0, "payer": 1}


def test_each_hop_keeps_its_largest_edges_and_says_it_cut(django_assert_num_queries):
    for i in range(5):
        stored_payment(f"customer-{i}", "shop", f"{10 * (i + 1)}.00")
        stored_payment(f"customer-{i}", f"other-shop-{i}", f"{i + 1}.00")
    with django_assert_num_queries(3):
        at_limit = money_flow_network(account="shop", period=MONTH, edges_per_hop=5)
    assert len(at_limit["edges"]) == 10 and not at_limit["truncated"]
    with django_assert_num_queries(3):
        cut = money_flow_network(account="shop", period=MONTH, edges_per_hop=4)
    assert cut["truncated"]
    first_hop = [e["source"] for e in cut["edges"] if e["hop"] == 1]
    assert first_hop == ["customer-4", "customer-3", "customer-2", "customer-1"]
    second_hop = {e["target"] for e in cut["edges"] if e["hop"] == 2}
    assert second_hop == {f"other-shop-{i}" for i in (1, 2, 3, 4)}


def test_mules_and_merchants_are_marked():
    stored_payment(
        "card-1", "mule", "500.00", outcome="fraud", review_status="confirmed"
    )
    stored_payment("card-1", "watched", "20.00")
    stored_payment("card-1", "shop", "20.00")
    for name, account in (("watch", "watched"), ("merchant", "shop")):
        AccountListEntry.objects.create(list_name=name, account=account)
    nodes = {
        n["id"]: n for n in money_flow_network(account="card-1", period=MONTH)["nodes"]
    }
    assert nodes["mule"]["mule"]  # paid money confirmed as fraud
    assert (
        edges_of(money_flow_network(account="card-1", period=MONTH))["card-1", "mule"][
            "confirmed"
        ]
        == 1
    )
    assert nodes["watched"]["mule"] and nodes["watched"]["lists"] == ["watch"]
    assert not nodes["shop"]["mule"] and nodes["shop"]["lists"] == ["merchant"]
    assert not nodes["card-1"]["mule"]  # paid a mule: not one itself


def test_an_account_without_payments_is_alone():
    network = money_flow_network(account="nobody", period=MONTH)
    assert network["edges"] == []
    assert network["nodes"] == [{"id": "nobody", "hop": 0, "lists": [], "mule": False}]
