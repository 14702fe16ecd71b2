"""The stored record of every classified transaction, with where its review stands."""

from django.db import models

from ..detection import Outcome as VerdictOutcome
from .base import user_reference


class ReviewStatus(models.TextChoices):
    """Where an analyst's review of a flagged transaction stands."""

    NEW = "new", "New"
    IN_REVIEW = "in_review", "In review"
    CONFIRMED = "confirmed", "Confirmed fraud"
    FALSE_POSITIVE = "false_positive", "False positive"
    ESCALATED = "escalated", "Escalated"


class TransactionQuerySet(models.QuerySet):
    """Lookups that name the table's partitions (``ingest/partitions.py``):
    a lookup by ``id`` alone probes the index of every partition, a day of
    legit rows each, so the review's and the alerts' writes to one case
    say which branch, or which row, they mean."""

    def flagged(self) -> "TransactionQuerySet":
        """The transactions sent to review or found fraud: on PostgreSQL
        only the flagged branch's monthly partitions are read."""
        return self.filter(outcome__in=Transaction.FLAGGED_OUTCOMES)

    def row(self, tx: "Transaction") -> "TransactionQuerySet":
        """The stored row of ``tx`` by its whole key (``id``, outcome and
        event time): one partition, one index probe."""
        return self.filter(pk=tx.pk, outcome=tx.outcome, timestamp=tx.timestamp)


class Transaction(models.Model):
    """One payment transaction, as received from Kafka and classified.

    Storing the same transaction twice (after a redelivery) is a no-op:
    the store checks its ``transaction_id`` first (``ingest/rows.py``).
    The database's unique key also holds the event time and the outcome,
    the columns the table is partitioned by on PostgreSQL
    (``ingest/partitions.py``). The Kafka coordinates say where it was
    read.
    """

    class Outcome(models.TextChoices):
        LEGIT = VerdictOutcome.LEGIT.value, "Legit"
        REVIEW = VerdictOutcome.REVIEW.value, "Review"
        FRAUD = VerdictOutcome.FRAUD.value, "Fraud"

    FLAGGED_OUTCOMES = (Outcome.REVIEW, Outcome.FRAUD)

    objects = TransactionQuerySet.as_manager()

    transaction_id = models.UUIDField()
    source = models.CharField(max_length=64)
    target = models.CharField(max_length=64)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    timestamp = models.DateTimeField(
        db_index=True, help_text="Event time, as sent by the producer."
    )
    # The optional enrichment fields: empty (the IP null) when the message
    # did not carry them.
    merchant_category = models.CharField(
        max_length=64, blank=True, default="", help_text="What was bought."
    )
    channel = models.CharField(
        max_length=16, blank=True, default="", help_text="How it was paid."
    )
    country = models.CharField(
        max_length=2, blank=True, default="", help_text="ISO 3166 country code."
    )
    device_id = models.CharField(
        max_length=64, blank=True, default="", help_text="The payer's device."
    )
    ip = models.GenericIPAddressField(
        null=True, blank=True, help_text="The payer's IP address."
    )
    received_at = models.DateTimeField(
        help_text="When the detector read the message from Kafka."
    )
    outcome = models.CharField(max_length=6, choices=Outcome.choices)
    score = models.PositiveIntegerField(default=0)
    reasons = models.JSONField(
        default=list, blank=True, help_text="One entry per rule that fired."
    )
    rule_versions = models.JSONField(
        default=dict, blank=True, help_text="Rule name to the version in force."
    )
    model_probability = models.FloatField(
        null=True,
        blank=True,
        help_text="The learned score's probability of fraud, with a model in force.",
    )
    shadow_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="The model version scoring in shadow."
    )
    shadow_probability = models.FloatField(
        null=True,
        blank=True,
        help_text="Its probability of fraud, which entered no verdict.",
    )
    kafka_topic = models.CharField(max_length=249)
    kafka_partition = models.PositiveIntegerField()
    kafka_offset = models.PositiveBigIntegerField()
    alerted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the fraud alert was sent."
    )
    review_status = models.CharField(
        max_length=16,
        choices=ReviewStatus.choices,
        blank=True,
        help_text="Analyst review of a flagged transaction (empty for legit).",
    )
    assignee = user_reference(help_text="The analyst working on this case.")
    review_version = models.PositiveIntegerField(
        default=0,
        db_default=0,  # the detector inserts rows with COPY, outside the ORM
        help_text="Bumped by every review change; a change made on an older "
        "version is refused (two analysts at once).",
    )

    class Meta:
        ordering = ["-timestamp", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["transaction_id", "timestamp", "outcome"], name="tx_key"
            ),
        ]
        indexes = [
            models.Index(fields=["outcome", "-timestamp"], name="tx_outcome_time"),
            # Every index costs each insert of the stream, so only these:
            # plain btrees (no LIKE variants; searches are exact), and open
            # cases only for the review status, which is empty when legit.
            models.Index(fields=["source", "-timestamp"], name="tx_source_time"),
            # A receiver's payments by time: its activity chart and the
            # money-flow network read a period of them.
            models.Index(fields=["target", "-timestamp"], name="tx_target_time"),
            models.Index(
                fields=["review_status"],
                name="tx_review_status",
                condition=~models.Q(review_status=""),
            ),
            # The review queues: open cases only, in their priority order
            # (review/queues.py).
            models.Index(
                models.F("score").desc(),
                "received_at",
                models.F("amount").desc(),
                "id",
                name="tx_open_queue",
                condition=models.Q(review_status__in=["new", "in_review", "escalated"]),
            ),
            # Rows a candidate model scored in shadow, for its comparison;
            # none unless one is shadowing.
            models.Index(
                fields=["shadow_version"],
                name="tx_shadow_version",
                condition=models.Q(shadow_version__isnull=False),
            ),
        ]
        permissions = [("review_transaction", "Can review flagged transactions")]

    def __str__(self) -> str:
        return f"{self.transaction_id} {self.amount} {self.currency} ({self.outcome})"

    @property
    def is_flagged(self) -> bool:
        return self.outcome in self.FLAGGED_OUTCOMES
