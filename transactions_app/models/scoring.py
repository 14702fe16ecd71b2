"""Trained models as data: each training is a model version, put in force
through the same four-eyes approval as a rule version."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .base import user_reference


def probability_field(default: float, help_text: str) -> models.FloatField:
    return models.FloatField(
        default=default,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=help_text,
    )


class ModelVersion(models.Model):
    """One trained model of the learned score: the artefact (the trees, the
    features they read, their calibration), the window and counts it
    learned from, what its validation measured, who trained it, and the
    bands that turn its probability into points. At most one version is
    live; a candidate can score live traffic in shadow first, beside the
    one in force, without entering any verdict."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        SHADOW = "shadow", "Scoring in shadow, waiting for approval"
        LIVE = "live", "Live"
        RETIRED = "retired", "Replaced by a later version"
        ROLLED_BACK = "rolled_back", "Rolled back"
        REJECTED = "rejected", "Rejected"

    number = models.PositiveIntegerField(unique=True)
    artefact = models.BinaryField(help_text="The trained model (JSON, format 1).")
    features = models.JSONField(default=list, help_text="The features it reads.")
    training = models.JSONField(
        default=dict, help_text="The window and the counts it learned from."
    )
    metrics = models.JSONField(
        default=dict, help_text="Its validation on the period after the window."
    )
    source = models.CharField(
        max_length=200, help_text="What it was trained on (a file, decisions)."
    )
    review_at = probability_field(0.5, "Probability at which it adds review points.")
    fraud_at = probability_field(0.9, "Probability at which it adds fraud points.")
    review_weight = models.PositiveIntegerField(default=50)
    fraud_weight = models.PositiveIntegerField(default=100)
    note = models.CharField("change note", max_length=200, blank=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PENDING
    )
    author = user_reference(help_text="Who trained it (empty: the command line).")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = user_reference(help_text="Who approved or rejected it.")
    decided_at = models.DateTimeField(null=True, blank=True)
    retired_by = user_reference(help_text="Who took it out of force.")
    retired_at = models.DateTimeField(null=True, blank=True)
    drift_alerted_at = models.DateTimeField(
        null=True, blank=True, help_text="When its drift was last alerted."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="live"),
                name="model_one_live_version",
            ),
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="shadow"),
                name="model_one_shadow_version",
            ),
        ]
        permissions = [
            ("approve_modelversion", "Can approve, reject or roll back models")
        ]

    def __str__(self) -> str:
        return f"model v{self.number} ({self.status})"


class ModelTraining(models.Model):
    """A training of the learned score on the analysts' decisions, asked
    for in admin and run by a Celery task: its progress, and the version
    it recorded."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    days = models.PositiveIntegerField(
        default=90, help_text="Stored history trained on, up to now."
    )
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    requested_by = user_reference()
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0, help_text="Transactions to read.")
    processed = models.PositiveIntegerField(default=0)
    version = models.ForeignKey(
        ModelVersion,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The model version it recorded.",
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"training on {self.days} days ({self.status})"

    @property
    def progress(self) -> str:
        return f"{self.processed}/{self.total}" if self.total else "-"


class ModelDrift(models.Model):
    """What a detector's live traffic looked like to the model in force
    over a minute or so: its rows counted into the bins of the model's
    training-window reference (the probability's and each feature's), for
    the drift monitor."""

    version = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, related_name="drift"
    )
    recorded_at = models.DateTimeField(db_index=True)
    rows = models.PositiveIntegerField()
    counts = models.JSONField(help_text="Bin counts: score and features.")

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name_plural = "model drift"

    def __str__(self) -> str:
        return f"{self.rows} rows of model v{self.version.number} at {self.recorded_at}"
