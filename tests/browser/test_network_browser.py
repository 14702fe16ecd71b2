"""The money-flow network page in a real browser: the graph drawn, an
account clicked shows its activity, expanded adds its own network, and an
account id holding markup stays text everywhere it appears. The case
page's activity chart is drawn, flagged payments apart."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest

from tests.browser.live_page import ARTIFACTS
from tests.factories import NOW, stored_payment

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

PAYLOAD = "<img src=x onerror=alert(1)>"


@pytest.fixture
def ring():
    """Two cards paying a mule who pays a cash-out account, which pays one
    more account three hops from the first card; and a payer whose id
    holds markup (one the codec would refuse, stored all the same)."""
    case = stored_payment(
        "card-1", "mule", "900.00", outcome="fraud", review_status="confirmed"
    )
    stored_payment("card-2", "mule", "300.00", timestamp=NOW - timedelta(days=2))
    stored_payment(PAYLOAD, "mule", "50.00")
    stored_payment("mule", "cash-out", "1200.00")
    stored_payment("cash-out", "far-away", "1100.00")
    return case


def click_account(page, account: str) -> None:
    """A real click on the account's node, where Cytoscape drew it."""
    box = page.locator("#network").bounding_box()
    spot = page.evaluate("(id) => window.FraudNetwork.position(id)", account)
    page.mouse.click(box["x"] + spot["x"], box["y"] + spot["y"])


def test_the_network_is_drawn_clicked_and_expanded(page, web, analyst, ring):
    refused = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and refused.append(message.text)
        ),
    )
    query = urlencode({"account": "card-1", "until": NOW.isoformat()})
    page.goto(f"{web}/review/network/?{query}")
    page.wait_for_selector('#network[data-state="ready"][data-nodes="5"]')
    assert page.locator("#network canvas").count() > 0
    assert "5 accounts and 4 edges" in page.locator("#network-summary").inner_text()

    click_account(page, "mule")
    page.wait_for_selector('#account-panel[data-state="ready"][data-account="mule"]')
    assert page.locator("#panel-account").inner_text() == "mule"
    assert "a known mule" in page.locator("#panel-summary").inner_text()
    assert page.locator("#panel-received").get_attribute("data-points") == "3"
    assert page.locator("#panel-received").get_attribute("data-flagged") == "1"
    assert page.locator("#panel-received canvas").count() > 0

    click_account(page, "cash-out")
    page.wait_for_selector(
        '#account-panel[data-state="ready"][data-account="cash-out"]'
    )
    page.click("#panel-expand")
    page.wait_for_selector('#network[data-expanded="cash-out"][data-nodes="6"]')
    options = page.locator("#account-picker option").all_inner_texts()
    assert "far-away" in options and PAYLOAD in options

    page.select_option("#account-picker", PAYLOAD)  # the keyboard's way
    page.wait_for_selector('#account-panel[data-state="ready"]')
    page.wait_for_function(
        "(id) => document.getElementById('panel-account').textContent === id",
        arg=PAYLOAD,
    )
    assert page.locator("#account-panel img").count() == 0
    # Not an account id the endpoints take: said in words, as text.
    assert (
        "cannot be shown: An account id is" in page.locator("#panel-sent").inner_text()
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "network-page.png"), full_page=True)
    assert page.dialogs == []
    assert refused == []


def test_the_case_page_draws_both_accounts_activity(page, web, analyst, ring):
    page.goto(f"{web}/admin/transactions_app/transaction/{ring.pk}/change/")
    page.wait_for_selector("#activity-receiver canvas")
    receiver = page.locator("#activity-receiver")
    assert receiver.get_attribute("data-points") == "3"
    assert receiver.get_attribute("data-flagged") == "1"
    assert "mule received: 3 payments" in receiver.inner_text()
    assert page.locator("#activity-payer").get_attribute("data-points") == "1"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "case-activity.png"), full_page=True)
    page.locator(".network-links a").first.click()
    page.wait_for_selector('#network[data-state="ready"][data-nodes="5"]')
    assert page.dialogs == []
