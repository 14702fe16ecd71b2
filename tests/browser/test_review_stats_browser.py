"""The review statistics page's drift section in a real browser: the
learned score's drift drawn hour by hour, each feature's index listed, and
a model in force with no scored traffic yet said in words."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.live_page import WAIT_MS
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
