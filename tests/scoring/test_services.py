"""Model versions: every training is recorded waiting; it goes live through
the four-eyes approval rule versions have, shadows first if asked, and can
be rolled back to the version it replaced."""

import pytest

from transactions_app.models import ModelVersion
from transactions_app.scoring.selectors import (
    learned_score_live,
    model_version_live,
    model_version_shadowing,
    models_fingerprint,
)
from transactions_app.scoring.services import (
    ModelChangeRefused,
    model_version_approve,
    model_version_record,
    model_version_reject,
    model_version_roll_back,
    model_version_shadow,
)

pytestmark = pytest.mark.django_db
Status = ModelVersion.Status


def record(model, author=None):
    return model_version_record(model=model, source="file test.jsonl", author=author)


def test_a_trained_model_waits_for_a_second_person(four_eyes, managers, model):
    alice, bob = managers
    version = record(model, author=alice)
    assert (version.number, version.status) == (1, Status.PENDING)
    assert version.features == list(model.features)
    assert version.metrics["average_precision"] == model.metrics["average_precision"]
    assert learned_score_live() is None
    with pytest.raises(ModelChangeRefused, match="trained by alice; a second"):
        model_version_approve(version=version, approver=alice)
    with pytest.raises(ModelChangeRefused, match="needs a second person's approval"):
        model_version_approve(version=version, approver=None)
    model_version_approve(version=version, approver=bob)
    version.refresh_from_db()
    assert (version.status, version.decided_by) == (Status.LIVE, bob)
    learned = learned_score_live()
    assert learned.version == 1 and learned.features.names == model.features


def test_without_four_eyes_the_command_line_puts_it_in_force(settings, model):
    settings.RULES_FOUR_EYES = False
    version = record(model)
    model_version_approve(version=version, approver=None)
    assert model_version_live() == version


def test_one_without_the_permission_may_not_decide(django_user_model, model):
    clerk = django_user_model.objects.create_user("clerk", password="x")
    version = record(model)
    with pytest.raises(ModelChangeRefused, match="may not approve or reject"):
        model_version_approve(version=version, approver=clerk)
    with pytest.raises(ModelChangeRefused, match="may not approve or reject"):
        model_version_reject(version=version, approver=clerk)


def test_a_new_version_retires_the_live_one_and_a_roll_back_restores_it(
    four_eyes, managers, model
):
    alice, bob = managers
    first, second, third = (record(model, author=alice) for _ in range(3))
    for version in (first, second, third):
        model_version_approve(version=version, approver=bob)
    assert model_version_live() == third
    first.refresh_from_db()
    assert (first.status, first.retired_by) == (Status.RETIRED, bob)
    assert model_version_roll_back(approver=alice) == second
    assert model_version_roll_back(approver=alice) == first  # never third again
    third.refresh_from_db()
    assert (third.status, third.retired_by) == (Status.ROLLED_BACK, alice)
    assert model_version_roll_back(approver=alice) is None
    assert learned_score_live() is None
    with pytest.raises(ModelChangeRefused, match="nothing to roll back"):
        model_version_roll_back(approver=alice)


def test_a_decided_version_cannot_be_decided_again(four_eyes, managers, model):
    alice, bob = managers
    version = record(model, author=alice)
    model_version_reject(version=version, approver=bob)
    with pytest.raises(ModelChangeRefused, match="not waiting for approval"):
        model_version_approve(version=version, approver=bob)


def test_one_candidate_shadows_at_a_time_and_can_then_be_approved(
    four_eyes, managers, model
):
    alice, bob = managers
    first, second = record(model, author=alice), record(model, author=alice)
    model_version_shadow(version=first, requested_by=alice)
    model_version_shadow(version=second, requested_by=alice)
    first.refresh_from_db()
    assert first.status == Status.PENDING
    assert model_version_shadowing() == second
    model_version_approve(version=second, approver=bob)
    assert model_version_shadowing() is None
    assert model_version_live() == second


def test_the_fingerprint_changes_with_every_decision(four_eyes, managers, model):
    alice, bob = managers
    empty = models_fingerprint()
    version = record(model, author=alice)
    recorded = models_fingerprint()
    model_version_approve(version=version, approver=bob)
    assert len({empty, recorded, models_fingerprint()}) == 3


def test_an_artefact_that_cannot_be_read_is_named(managers, model):
    version = record(model)
    ModelVersion.objects.filter(pk=version.pk).update(
        artefact=b'{"format": 1, "trees": "nonsense", "features": [],'
        b' "calibration": {"slope": 1, "intercept": 0}}',
        status=Status.LIVE,
    )
    with pytest.raises(ValueError, match="trees cannot be loaded"):
        learned_score_live()


def test_a_number_taken_meanwhile_goes_to_the_next(model, monkeypatch):
    """Two trainings finishing at once: the second read the same highest
    number as the first, loses the race to it, and takes the next."""
    first = record(model)
    stale = iter([{"n": 0}])
    real = ModelVersion.objects.aggregate
    monkeypatch.setattr(
        ModelVersion.objects,
        "aggregate",
        lambda **kwargs: next(stale, None) or real(**kwargs),
    )
    second = record(model)
    assert (first.number, second.number) == (1, 2)
