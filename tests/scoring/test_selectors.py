"""A candidate in shadow compared with the model in force: flags, precision
and recall against the analysts' decisions, agreement and both score
distributions, from the transactions it scored (one query)."""

import pytest

from tests.factories import stored_transaction
from transactions_app.models import ModelVersion, Transaction
from transactions_app.scoring.selectors import shadow_comparison
from transactions_app.scoring.services import (
    model_version_approve,
    model_version_record,
    model_version_shadow,
)

pytestmark = pytest.mark.django_db

# (outcome, review status, probability in force, probability in shadow)
SCORED = [
    ("fraud", "confirmed", 0.95, 0.97),  # both flag, fraud
    ("review", "false_positive", 0.60, 0.20),  # in force flags wrongly
    ("review", "confirmed", 0.55, 0.10),  # only in force catches it
    ("fraud", "confirmed", 0.30, 0.80),  # the rules flag; shadow catches it
    ("legit", "", 0.10, 0.70),  # shadow flags, nobody decided
    ("legit", "", 0.05, 0.05),  # neither
]


def scored(rows, shadow_version):
    for outcome, status, probability, shadowed in rows:
        row = stored_transaction(outcome)
        Transaction.objects.filter(pk=row.pk).update(
            review_status=status,
            model_probability=probability,
            shadow_version=shadow_version,
            shadow_probability=shadowed,
        )


@pytest.fixture
def versions(settings, model):
    settings.RULES_FOUR_EYES = False
    live = model_version_record(model=model, source="test")
    model_version_approve(version=live, approver=None)
    candidate = model_version_record(model=model, source="test")
    return live, model_version_shadow(version=candidate, requested_by=None)


def test_both_models_are_measured_against_the_same_decisions(
    versions, django_assert_num_queries
):
    live, candidate = versions
    scored(SCORED, candidate.number)
    scored(SCORED[:1], shadow_version=None)  # not scored by it: not counted
    with django_assert_num_queries(2):  # the model in force, the aggregates
        compared = shadow_comparison(candidate)
    assert compared.scored == 6
    assert compared.candidate.flagged == 3
    assert compared.in_force.flagged == 3
    # confirmed: 3; the candidate flags two of them, among 2 decided flags
    assert (compared.candidate.precision, compared.candidate.recall) == (1.0, 2 / 3)
    assert (compared.in_force.precision, compared.in_force.recall) == (2 / 3, 2 / 3)
    assert compared.agreement == pytest.approx(2 / 6)
    assert compared.candidate.distribution == (1, 1, 1, 0, 0, 0, 0, 1, 1, 1)
    assert compared.in_force.distribution == (1, 1, 0, 1, 0, 1, 1, 0, 0, 1)
    assert compared.in_force.name == f"model v{live.number}, in force"


def test_without_a_model_in_force_it_is_compared_with_the_verdicts(settings, model):
    settings.RULES_FOUR_EYES = False
    candidate = model_version_record(model=model, source="test")
    scored(SCORED, candidate.number)
    compared = shadow_comparison(candidate)
    assert compared.in_force.flagged == 4  # the flagged outcomes
    assert compared.in_force.name.startswith("the rules' verdicts")


def test_the_comparison_is_on_the_version_page_as_text(admin_client, versions):
    _live, candidate = versions
    scored(SCORED, candidate.number)
    page = admin_client.get(
        f"/admin/transactions_app/modelversion/{candidate.pk}/change/"
    ).content.decode()
    assert "6 transactions scored since" in page
    assert "the two agree on 33.33%" in page
    assert "<th>recall</th><td>0.667</td><td>0.667</td>" in page


def test_a_version_that_never_shadowed_says_so(admin_client, model):
    version = model_version_record(model=model, source="test")
    page = admin_client.get(
        f"/admin/transactions_app/modelversion/{version.pk}/change/"
    ).content.decode()
    assert "It has scored no transaction in shadow." in page
    assert ModelVersion.objects.count() == 1


def test_drift_is_reported_from_the_detectors_counts(settings, model, rows):
    """Counts of the training window's own rows drift little; counts of
    rows whose amounts are ten times larger drift in the amount features,
    and the hours are charted one by one."""
    import numpy as np
    from django.utils import timezone

    from transactions_app.scoring.artefact import Scorer
    from transactions_app.scoring.selectors import model_drift_report
    from transactions_app.scoring.services import model_drift_record

    settings.RULES_FOUR_EYES = False
    version = model_version_record(model=model, source="test")
    model_version_approve(version=version, approver=None)
    now = timezone.now()
    assert model_drift_report(now=now).rows == 0
    scorer = Scorer(model, compiled=False)
    window = rows.times < model.training["until"]
    sample = rows.features[window][::2]  # spread over the training window
    scorer.probabilities(sample)
    model_drift_record(number=version.number, counts=scorer.drift.take(), at=now)
    calm = model_drift_report(now=now)
    shifted = sample.copy()
    shifted[:, list(model.features).index("log_amount")] += np.log(10)
    scorer.probabilities(shifted)
    an_hour_ago = now - timezone.timedelta(hours=1)
    model_drift_record(
        number=version.number, counts=scorer.drift.take(), at=an_hour_ago
    )
    drifted = model_drift_report(now=now)
    assert drifted.rows == 2 * calm.rows == 2 * len(sample)
    assert max(value for _, value in calm.features) < 0.05
    assert drifted.features[0][0] == "log_amount"  # the largest first
    assert dict(drifted.features)["log_amount"] > 0.25  # half the traffic shifted
    assert [hour for hour, _ in drifted.hourly] == sorted(
        {an_hour_ago.timestamp() // 3600 * 3600, now.timestamp() // 3600 * 3600}
    )


def test_the_statistics_page_shows_the_drift_as_text_and_data(
    admin_client, settings, model
):
    settings.RULES_FOUR_EYES = False
    version = model_version_record(model=model, source="test")
    model_version_approve(version=version, approver=None)
    page = admin_client.get("/review/stats/").content.decode()
    assert f"Model v{version.number}, the last 24 hours" in page
    assert page.count('<script id="drift-data" type="application/json">') == 1
    assert page.count('id="model-drift"') == 1
    assert "log_amount" in page
