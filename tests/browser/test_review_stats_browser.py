"""The review statistics page in a real browser: its trends drawn (flagged
and confirmed per day, precision per rule and week, time to decision, open
cases by age) under the page's content security policy, a rule name
holding markup kept as text, and no data said in words; the drift section:
the learned score's drift drawn hour by hour, each feature's index listed,
and a model in force with no scored traffic yet said in words."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.live_page import ARTIFACTS, WAIT_MS
from tests.factories import stored_payment
from transactions_app.models import ReviewEvent
from transactions_app.scoring.artefact import Scorer
from transactions_app.scoring.services import (
    model_drift_record,
    model_version_approve,
    model_version_record,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def in_force(settings, model, django_user_model):
    """The session's model in force, and the analyst allowed the page."""
    settings.RULES_FOUR_EYES = False
    analyst = django_user_model.objects.get(username="analyst")
    analyst.is_superuser = True
    analyst.save()
    version = model_version_record(model=model, source="test")
    return model_version_approve(version=version, approver=None)


def test_the_drift_is_drawn_hour_by_hour(page, web, in_force, model, rows):
    scorer = Scorer(model, compiled=False)
    now = timezone.now()
    for hours_ago, start in ((2, 0), (1, 400), (0, 800)):
        scorer.probabilities(rows.features[start : start + 400])
        model_drift_record(
            number=in_force.number,
            counts=scorer.drift.take(),
            at=now - timedelta(hours=hours_ago),
        )
    page.goto(web + "/review/stats/")
    page.wait_for_selector("#chart-drift canvas", timeout=WAIT_MS)
    assert page.locator("#chart-drift .u-legend").inner_text().count("PSI") >= 1
    assert page.locator("#feature-drift tbody tr").count() == len(model.features)
    assert "1200 transactions scored" in page.locator("#model-drift").inner_text()
    assert page.dialogs == []


def test_a_model_without_scored_traffic_says_so(page, web, in_force):
    page.goto(web + "/review/stats/")
    message = page.locator("#chart-drift")
    message.get_by_text("No traffic scored in the period yet.").wait_for()
    assert page.locator("#chart-drift canvas").count() == 0


PAYLOAD = "</script><img src=x onerror=alert(1)>"
TREND_CHARTS = ("flagged", "precision", "decision", "open-age")


def flagged(received_hours_ago: float, *, status: str, rules: tuple) -> object:
    row = stored_payment(
        "card-1",
        "shop",
        "950.00",
        outcome="fraud",
        timestamp=timezone.now() - timedelta(hours=received_hours_ago),
        review_status=status,
    )
    row.reasons = [{"rule": rule, "version": 1, "score": 50} for rule in rules]
    row.save(update_fields=["reasons"])
    return row


@pytest.fixture
def history():
    """Cases of the last days: decided ones (one by a rule whose name holds
    markup), each decided an hour or more after it arrived, and open ones
    of several ages."""
    for days_ago, status, rules in (
        (0, "confirmed", ("velocity", PAYLOAD)),
        (1, "false_positive", ("velocity",)),
        (3, "confirmed", ("amount_threshold",)),
        (8, "false_positive", ("amount_threshold", PAYLOAD)),
    ):
        row = flagged(days_ago * 24 + 3, status=status, rules=rules)
        event = ReviewEvent.objects.create(
            transaction=row, from_status="new", to_status=status
        )
        ReviewEvent.objects.filter(pk=event.pk).update(
            at=row.received_at + timedelta(hours=1 + days_ago)
        )
    for hours_ago in (0.5, 2, 30, 200):
        flagged(hours_ago, status="new", rules=("velocity",))


def under_the_policy(page) -> list:
    """Collect what the page's content security policy refused and any
    script error, as the page logs them."""
    refused = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and refused.append(message.text)
        ),
    )
    page.on("pageerror", lambda error: refused.append(str(error)))
    return refused


def test_the_trends_are_drawn_and_a_rule_name_stays_text(page, web, analyst, history):
    """Each trend drawn on a canvas under the page's policy (nothing
    refused, no script error); the rule name holding markup is text in the
    legend and the table, no image made, no dialog opened."""
    refused = under_the_policy(page)
    page.goto(web + "/review/stats/")
    for chart in TREND_CHARTS:
        page.wait_for_selector(f"#chart-{chart} canvas")
        assert page.locator(f"#chart-{chart}").get_attribute("data-state") == "drawn"
    legend = page.locator("#chart-precision .u-legend").inner_text()
    assert PAYLOAD in legend and "velocity" in legend
    page.locator("#trend-precision summary").click()
    table = page.locator("#precision-per-week")
    table.get_by_text(PAYLOAD, exact=True).wait_for()
    assert page.locator("img").count() == 0
    assert "4 open cases" in page.locator("#trend-open-age").inner_text()
    assert "4 cases decided" in page.locator("#trend-decision").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-stats.png"), full_page=True)
    assert page.dialogs == []
    assert refused == []
    # The policy was in force, and what it refuses is logged as the listener
    # expects: a script written into the page is refused.
    tried = """() => {
        const script = document.createElement("script");
        script.textContent = "document.body.dataset.inline = 'ran'";
        document.body.appendChild(script);
        return document.body.dataset.inline || "refused";
    }"""
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        assert page.evaluate(tried) == "refused"


def test_trends_without_data_say_so_in_words(page, web, analyst):
    """Without cases each trend says so in words, as text, not an image."""
    refused = under_the_policy(page)
    page.goto(web + "/review/stats/")
    for chart, text in (
        ("flagged", "No flagged payments in the period yet."),
        ("precision", "No decided cases in the period yet."),
        ("decision", "No decided cases in the period yet."),
        ("open-age", "No open cases."),
    ):
        page.locator(f"#chart-{chart}").get_by_text(text).wait_for()
        assert page.locator(f"#chart-{chart} canvas").count() == 0
        assert page.locator(f"#chart-{chart}").get_attribute("role") is None
    assert refused == []
