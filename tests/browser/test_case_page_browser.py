"""The case page in a real browser: a decision recorded by one keystroke
after reading, keys typed into the note left to the note, and a stored
reason holding markup shown as text."""

import pytest

from tests.browser.live_page import ARTIFACTS
from tests.factories import stored_transaction
from transactions_app.models import ReviewEvent, Transaction

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

PAYLOAD = "<img src=x onerror=alert(1)>"


@pytest.fixture
def case(analyst):
    """A new fraud case with a reason whose description holds markup, the
    logged-in analyst allowed to review it."""
    row = stored_transaction("fraud")
    row.review_status = "new"
    row.reasons = [{**row.reasons[0], "description": PAYLOAD}]
    row.save()
    return row


def test_one_keystroke_records_the_decision(page, web, case):
    page.goto(f"{web}/admin/transactions_app/transaction/{case.pk}/change/")
    page.wait_for_selector('#decision button[data-key="f"]')
    note = page.locator("#id_note")
    note.press_sequentially("d e")  # typed into the note: not decisions
    assert note.input_value() == "d e"
    reasons = page.locator("ul.reasons").inner_text()
    assert PAYLOAD in reasons  # the markup shown as text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "case-page.png"), full_page=True)
    page.locator("#decision p").first.click()  # out of the note
    page.keyboard.press("f")
    page.locator("ul.messagelist").get_by_text("marked confirmed fraud").wait_for()
    events = list(ReviewEvent.objects.filter(transaction=case))
    assert [(e.from_status, e.to_status) for e in events] == [("new", "confirmed")]
    assert Transaction.objects.get(pk=case.pk).review_status == "confirmed"
    assert page.dialogs == []


def test_the_queue_is_worked_by_keyboard(page, web, case):
    """From the unassigned queue: open the first case, decide it with one
    key, go to the next with another, in priority order."""
    second = stored_transaction("fraud")
    second.review_status, second.score = "new", 60  # lower priority
    second.save()
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{web}/admin/transactions_app/transaction/?queue=unassigned")
    rows = page.locator("#result_list tbody tr")
    rows.first.wait_for()
    assert rows.count() == 2
    assert "overdue by" in page.locator("time.countdown").first.inner_text()
    # One line a cell (its text's boxes all on one line), and what
    # decides in view at 1,400 px beside the navigation and the filters.
    lines = rows.first.evaluate(
        """row => Array.from(row.cells).map(cell => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            return new Set(Array.from(range.getClientRects(), r => r.top)).size;
        })"""
    )
    assert max(lines) == 1, lines
    visible = page.locator(".results").evaluate("e => e.getBoundingClientRect().right")
    for column in ("outcome", "score", "money", "review_status", "deadline"):
        cell = rows.first.locator(f"td.field-{column}")
        assert cell.evaluate("e => e.getBoundingClientRect().right") <= visible
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)
    rows.first.locator("th a").click()
    page.wait_for_selector('#decision button[data-key="n"]')
    assert f"/{case.pk}/change/" in page.url
    page.keyboard.press("f")
    page.locator("ul.messagelist").get_by_text("marked confirmed fraud").wait_for()
    page.wait_for_selector('#decision button[data-key="n"]')
    page.keyboard.press("n")
    page.wait_for_url(f"**/{second.pk}/change/**")
    page.wait_for_selector('#decision button[data-key="f"]')
    second.refresh_from_db()
    assert (second.review_status, second.assignee.username) == ("in_review", "analyst")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "case-from-queue.png"), full_page=True)
    assert page.dialogs == []
