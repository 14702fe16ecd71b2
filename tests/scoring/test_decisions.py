"""Training on the analysts' decisions: stored transactions as labelled
history (confirmed is fraud, a false positive and the never flagged are
legit, an open case feeds the state only), a training asked for in admin
and run as a task with its progress, recorded as a version waiting."""

import pytest
from django.db.models import Q

from tests.factories import NOW
from tests.scoring.stream import labelled_stream
from transactions_app.detection import Outcome, Verdict
from transactions_app.ingest.services import transactions_store_batch
from transactions_app.models import ModelTraining, ModelVersion, Transaction
from transactions_app.scoring import decisions
from transactions_app.scoring.decisions import decided_history, training_run
from transactions_app.scoring.trainings import training_request
from transactions_app.streaming.records import ClassifiedTransaction, MessageOrigin

pytestmark = pytest.mark.django_db
FLAGGED = Verdict(Outcome.FRAUD, 100)
PASSED = Verdict(Outcome.LEGIT, 0)


def store_decided_history(count: int) -> list:
    """``count`` transactions stored as the detector would have (the
    fraud flagged, and every 50th legit one), then decided: the fraud
    confirmed but the last, left open; the flagged legit ones dismissed."""
    items = list(labelled_stream(count))
    batch = [
        ClassifiedTransaction(
            item.transaction,
            FLAGGED if item.is_fraud or n % 50 == 0 else PASSED,
            MessageOrigin("queuing.transactions", 0, n, NOW),
            NOW,
        )
        for n, item in enumerate(items)
    ]
    for start in range(0, len(batch), 2000):
        transactions_store_batch(classified=batch[start : start + 2000])
    fraud = [i.transaction.transaction_id for i in items if i.is_fraud]
    flagged = Transaction.objects.filter(outcome="fraud")
    flagged.filter(transaction_id__in=fraud[:-1]).update(review_status="confirmed")
    flagged.filter(~Q(transaction_id__in=fraud)).update(review_status="false_positive")
    return items


def test_the_stored_history_is_labelled_by_the_decisions():
    items = store_decided_history(600)
    history = list(decided_history(Transaction.objects.all()))
    assert [h.transaction for h in history] == sorted(
        (i.transaction for i in items),
        key=lambda t: t.timestamp,
    )
    truth = {h.transaction.transaction_id: h.is_fraud for h in history}
    fraud = [i.transaction.transaction_id for i in items if i.is_fraud]
    assert truth[fraud[-1]] is None  # open: state only
    assert all(truth[tid] is True for tid in fraud[:-1])
    legit = [i.transaction.transaction_id for i in items if not i.is_fraud]
    assert all(truth[tid] is False for tid in legit)


def test_a_training_asked_for_runs_and_records_a_version_waiting(
    admin_user, monkeypatch, django_capture_on_commit_callbacks
):
    from fraudsite.celery import app

    store_decided_history(8000)
    monkeypatch.setattr(decisions, "PROGRESS_EVERY", 1000)
    progress = []
    real_save = decisions._save
    monkeypatch.setattr(
        decisions,
        "_save",
        lambda training, **fields: (
            progress.append(fields.get("processed")) or real_save(training, **fields)
        ),
    )
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            training = training_request(days=3650, requested_by=admin_user)
    finally:
        app.conf.task_always_eager = False
    training.refresh_from_db()
    assert training.status == ModelTraining.Status.DONE, training.error
    assert (training.total, training.processed) == (8000, 8000)
    assert [p for p in progress if p][:3] == [1000, 2000, 3000]
    version = ModelVersion.objects.get()
    assert training.version == version
    assert (version.status, version.author) == ("pending", admin_user)
    assert version.source == "decisions of the last 3650 days"
    assert version.metrics["average_precision"] > 0.5


def test_a_training_that_cannot_train_is_recorded_as_failed(admin_user):
    training = ModelTraining.objects.create(days=30, requested_by=admin_user)
    with pytest.raises(ValueError, match="no labelled transactions"):
        training_run(training_id=training.pk)
    training.refresh_from_db()
    assert training.status == ModelTraining.Status.FAILED
    assert "no labelled transactions" in training.error


def test_admin_queues_a_training_and_shows_its_progress(
    admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(
        "transactions_app.scoring.trainings.train_model.delay", queued.append
    )
    with django_capture_on_commit_callbacks(execute=True):
        page = admin_client.post(
            "/admin/transactions_app/modeltraining/add/", {"days": "30"}, follow=True
        ).content.decode()
    assert "Training on the decisions of the last 30 days queued" in page
    training = ModelTraining.objects.get()
    assert training.requested_by.username == "admin"
    listing = admin_client.get("/admin/transactions_app/modeltraining/")
    assert "queued" in listing.content.decode().lower()
    bad = admin_client.post("/admin/transactions_app/modeltraining/add/", {"days": "0"})
    assert "greater than or equal to 1" in bad.content.decode()
    assert ModelTraining.objects.count() == 1
    assert queued == [training.pk]
