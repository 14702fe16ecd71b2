"""The network page, its JSON and an account's activity as JSON: who may
see them, what they answer, each bad parameter refused by name (at and
past its bound), and how many queries they cost."""

import json
import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import NOW, stored_payment
from transactions_app.investigations.network import (
    NETWORK_MAX_DAYS,
    NETWORK_MAX_EDGES_PER_HOP,
)

pytestmark = pytest.mark.django_db

PAGE = "/review/network/"
NETWORK = "/review/network.json"
ACTIVITY = "/review/activity.json"
UNTIL = NOW.isoformat()
PAYLOAD = "<img src=x onerror=alert(1)>"


@pytest.fixture
def analyst(client, django_user_model):
    user = django_user_model.objects.create_user("ana", is_staff=True)
    user.groups.add(Group.objects.get(name="Analyst"))
    client.force_login(user)
    return client


@pytest.fixture
def payments():
    stored_payment("card-1", "mule", "100.00", outcome="review")
    stored_payment("card-2", "mule", "40.00")
    stored_payment("mule", "cash-out", "130.00")


@pytest.mark.parametrize("url", [PAGE, NETWORK, ACTIVITY])
def test_only_staff_who_may_view_transactions_get_in(url, client, django_user_model):
    params = {"account": "card-1", "until": UNTIL}
    assert client.get(url, params).status_code == 302  # to the login page
    user = django_user_model.objects.create_user("nobody", is_staff=True)
    client.force_login(user)
    assert client.get(url, params).status_code == 403


def test_the_json_is_the_network_of_the_account(analyst, payments):
    response = analyst.get(NETWORK, {"account": "card-1", "until": UNTIL})
    assert response.status_code == 200
    network = response.json()
    assert network["account"] == "card-1"
    assert {(e["source"], e["target"], e["hop"]) for e in network["edges"]} == {
        ("card-1", "mule", 1),
        ("card-2", "mule", 2),
        ("mule", "cash-out", 2),
    }


def queries_of(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(NETWORK, params).status_code == 200
    return len(queries)


def test_the_json_costs_the_same_queries_whatever_the_size(analyst):
    params = {"account": "shop", "until": UNTIL, "edges": 20}
    stored_payment("customer-0", "shop", "10.00")
    stored_payment("customer-0", "other", "1.00")
    small = queries_of(analyst, params)
    for i in range(1, 60):
        stored_payment(f"customer-{i}", "shop", "10.00")
        stored_payment(f"customer-{i}", "other", "1.00")
    # The session, the user, its permissions and groups' permissions, then
    # the network's three.
    assert queries_of(analyst, params) == small <= 7
    assert len(analyst.get(NETWORK, params).json()["edges"]) == 40


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"account": "card 1"}, "account"),
        ({"account": "a" * 65}, "account"),
        ({"account": "card-1", "days": "0"}, "days"),
        ({"account": "card-1", "days": str(NETWORK_MAX_DAYS + 1)}, "days"),
        ({"account": "card-1", "days": "many"}, "days"),
        ({"account": "card-1", "until": "yesterday"}, "until"),
        ({"account": "card-1", "edges": str(NETWORK_MAX_EDGES_PER_HOP + 1)}, "edges"),
        ({"account": "card-1", "edges": "0"}, "edges"),
        ({}, "account"),
    ],
)
def test_a_bad_parameter_is_refused_by_name(analyst, params, field):
    response = analyst.get(NETWORK, params)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_the_bounds_themselves_are_accepted(analyst):
    params = {
        "account": "a" * 64,
        "days": NETWORK_MAX_DAYS,
        "edges": NETWORK_MAX_EDGES_PER_HOP,
    }
    assert analyst.get(NETWORK, params).status_code == 200
    assert analyst.get(ACTIVITY, {**params, "days": 1}).status_code == 200


def test_the_activity_json_is_what_the_account_sent_and_received(analyst, payments):
    response = analyst.get(ACTIVITY, {"account": "mule", "until": UNTIL, "days": 1})
    activity = response.json()
    assert activity["sent"]["amount"] == [130.0]
    assert sorted(activity["received"]["amount"]) == [40.0, 100.0]
    assert activity["received"]["flagged"].count(True) == 1
    bad = analyst.get(ACTIVITY, {"account": "mule", "days": "-1"})
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["days"]


def test_the_page_embeds_the_network_as_data_and_forbids_inline_scripts(analyst):
    stored_payment("card-1", PAYLOAD, "10.00")  # an id the codec would refuse
    response = analyst.get(PAGE, {"account": "card-1", "until": UNTIL})
    html = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert PAYLOAD not in html  # never as markup
    data = re.search(
        r'<script id="network-data" type="application/json">(.*?)</script>', html, re.S
    )
    network = json.loads(data.group(1))
    assert {node["id"] for node in network["nodes"]} == {"card-1", PAYLOAD}


def test_the_page_without_an_account_is_the_form(analyst):
    html = analyst.get(PAGE).content.decode()
    assert 'name="account"' in html
    assert "network-data" not in html
    refused = analyst.get(PAGE, {"account": "card 1"}).content.decode()
    assert "An account id is 1-64 letters" in refused
