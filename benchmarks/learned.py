"""The learned score in the pipeline benchmark: a model trained on the
benchmark's own profile and put in force, and taken out again
(``benchmarks.pipeline`` measures the pipeline with and without it)."""

# The project's modules are imported inside the functions: Django is set up
# by the benchmark first, against its own database.


def put_model_in_force(accounts: int, count: int = 60_000) -> int:
    """Train a model on ``count`` labelled transactions of the benchmark's
    profile over ``accounts`` (another seed than the measured traffic's)
    and put it in force; its version number."""
    from datetime import timedelta

    from django.conf import settings

    from transactions_app.detection.clock import utc_now
    from transactions_app.scoring.labelled import LabelledTransaction
    from transactions_app.scoring.services import (
        model_version_approve,
        model_version_record,
    )
    from transactions_app.scoring.training import train, training_rows
    from transactions_app.simulation.realistic import RealisticProfile

    profile = RealisticProfile(
        seed=2,
        start=utc_now() - timedelta(seconds=count / 1000.0),
        rate=1000.0,
        accounts=accounts,
    )
    labelled = (
        LabelledTransaction(item.transaction, item.label != "legit")
        for item in (profile() for _ in range(count))
    )
    settings.RULES_FOUR_EYES = False  # the benchmark approves its own model
    version = model_version_record(
        model=train(training_rows(labelled)), source="benchmark"
    )
    return model_version_approve(version=version, approver=None).number


def take_models_out() -> None:
    from transactions_app.models import ModelVersion

    ModelVersion.objects.all().delete()
