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
