"""Training on the analysts' own decisions: the stored history as labelled
transactions, and a requested training run with its progress.

The truth of a stored transaction is what review made of it: confirmed
fraud is fraud, a false positive is legit, and a transaction never flagged
is taken for legit (no one disputed it). A flagged one nobody has decided
yet has no label: it still feeds the state the features read, in its
place in time, and makes no training row.
"""

import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from django.utils import timezone

from ..ingest.selectors import ENGINE_FIELDS, engine_transaction
from ..models import ModelTraining, ReviewStatus, Transaction
from .labelled import LabelledTransaction, Reading
from .services import model_version_record
from .training import train, training_rows

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 5000
TRUTH = {
    ReviewStatus.CONFIRMED: True,
    ReviewStatus.FALSE_POSITIVE: False,
    "": False,  # never flagged
}


def decided_history(
    rows, reading: Reading | None = None
) -> Iterator[LabelledTransaction]:
    """The transactions of the queryset ``rows`` oldest first, each with
    the truth review gave it (None while a case is undecided, counted in
    ``reading``)."""
    reading = reading if reading is not None else Reading()
    fields = (*ENGINE_FIELDS, "review_status")
    for *values, review_status in (
        rows.order_by("timestamp", "id").values_list(*fields).iterator(chunk_size=5000)
    ):
        truth = TRUTH.get(review_status)
        reading.unlabelled += truth is None
        yield LabelledTransaction(engine_transaction(values), truth)


def stored_since(days: float, now: datetime):
    """The stored transactions of the last ``days`` days before ``now``."""
    return Transaction.objects.filter(
        timestamp__gte=now - timedelta(days=days), timestamp__lt=now
    )


def training_run(*, training_id: int, now: datetime | None = None) -> ModelTraining:
    """Train on the decisions of the training's period and record the
    model as a version waiting for approval, trained by whoever asked.
    Progress is saved as it goes; a failure is recorded and raised."""
    training = ModelTraining.objects.select_related("requested_by").get(pk=training_id)
    rows = stored_since(training.days, now or timezone.now())
    _save(training, status=ModelTraining.Status.RUNNING, total=rows.count())
    try:
        history = _counted(
            decided_history(rows), lambda n: _save(training, processed=n)
        )
        model = train(training_rows(history))
        version = model_version_record(
            model=model,
            source=f"decisions of the last {training.days} days",
            author=training.requested_by,
        )
    except Exception as error:
        logger.exception("training %s failed", training.pk)
        _save(
            training,
            status=ModelTraining.Status.FAILED,
            error=str(error),
            finished_at=timezone.now(),
        )
        raise
    _save(
        training,
        status=ModelTraining.Status.DONE,
        version=version,
        processed=training.total,
        finished_at=timezone.now(),
    )
    return training


def _counted(items, report: Callable[[int], None]):
    """``items``, calling ``report`` with how many went by every
    ``PROGRESS_EVERY``."""
    for number, item in enumerate(items, start=1):
        yield item
        if number % PROGRESS_EVERY == 0:
            report(number)


def _save(training: ModelTraining, **fields) -> None:
    for name, value in fields.items():
        setattr(training, name, value)
    ModelTraining.objects.filter(pk=training.pk).update(**fields)
