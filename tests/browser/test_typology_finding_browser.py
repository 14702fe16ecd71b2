"""A typology finding in a real browser: reached from the case page of one
of its payments, its accounts (one holding markup) shown as text in the
list and on its page, and a decision with a note recorded in its audit
trail."""

import pytest

from tests.browser.live_page import ARTIFACTS
from tests.factories import found_cycle
from transactions_app.models import FindingEvent, Transaction

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

PAYLOAD = "<img src=x onerror=alert(1)>"
FINDINGS = "/admin/transactions_app/typologyfinding/"


@pytest.fixture
def cycle():
    """A cycle through three accounts, the first one's id holding markup,
    found by the scan."""
    return found_cycle((PAYLOAD, "mule-b", "mule-c"))


def test_a_finding_is_reached_from_a_case_and_decided(page, web, analyst, cycle):
    first = Transaction.objects.get(transaction_id=cycle.transaction_ids[0])
    page.goto(f"{web}/admin/transactions_app/transaction/{first.pk}/change/")
    findings = page.locator("table.case-findings")
    findings.get_by_role("link", name="Cycle").click()
    page.wait_for_url(f"**{FINDINGS}{cycle.pk}/change/")
    accounts = page.locator("div.field-accounts_involved ol li")
    assert accounts.all_inner_texts() == [PAYLOAD, "mule-b", "mule-c", PAYLOAD]
    payments = page.locator("table.finding-payments tbody tr")
    assert payments.count() == 3
    assert PAYLOAD in payments.first.inner_text()
    assert "Money went round 3 accounts" in page.locator("body").inner_text()
    page.select_option("#id_to_status", "confirmed")
    page.fill("#id_note", PAYLOAD)
    page.click("input[name=_continue]")
    page.locator("ul.messagelist").get_by_text("was changed successfully").wait_for()
    trail = page.locator("#events-group")
    trail.get_by_text(PAYLOAD, exact=True).wait_for()
    (event,) = FindingEvent.objects.filter(finding=cycle)
    assert (event.to_status, event.note) == ("confirmed", PAYLOAD)
    assert page.locator("img[src=x]").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "typology-finding.png"), full_page=True)
    page.goto(f"{web}{FINDINGS}")
    shape = page.locator("#result_list td.field-shape").first
    assert shape.inner_text() == f"{PAYLOAD} → … → {PAYLOAD} (4)"
    assert page.locator("img[src=x]").count() == 0
    assert page.dialogs == []
