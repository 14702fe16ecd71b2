"""The stored record of every classified transaction."""

from django.db import models

from .detection import Outcome as VerdictOutcome


class Transaction(models.Model):
    """One payment transaction, as received from Kafka and classified.

    ``transaction_id`` is unique: storing the same transaction twice (after
    a redelivery) is a no-op. The Kafka coordinates say where it was read.
    """

    class Outcome(models.TextChoices):
        LEGIT = VerdictOutcome.LEGIT.value, "Legit"
        REVIEW = VerdictOutcome.REVIEW.value, "Review"
        FRAUD = VerdictOutcome.FRAUD.value, "Fraud"

    FLAGGED_OUTCOMES = (Outcome.REVIEW, Outcome.FRAUD)

    transaction_id = models.UUIDField(unique=True)
    source = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=64, db_index=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    timestamp = models.DateTimeField(
        db_index=True, help_text="Event time, as sent by the producer."
    )
    received_at = models.DateTimeField(
        help_text="When the detector read the message from Kafka."
    )
    outcome = models.CharField(max_length=6, choices=Outcome.choices)
    score = models.PositiveIntegerField(default=0)
    reasons = models.JSONField(
        default=list, blank=True, help_text="One entry per rule that fired."
    )
    kafka_topic = models.CharField(max_length=249)
    kafka_partition = models.PositiveIntegerField()
    kafka_offset = models.PositiveBigIntegerField()
    alerted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the fraud alert was sent."
    )

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["outcome", "-timestamp"], name="tx_outcome_time"),
        ]

    def __str__(self) -> str:
        return f"{self.transaction_id} {self.amount} {self.currency} ({self.outcome})"

    @property
    def is_flagged(self) -> bool:
        return self.outcome in self.FLAGGED_OUTCOMES
