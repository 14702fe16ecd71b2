"""The alert outbox: one row per fraud transaction and channel."""

from django.db import models
from django.utils import timezone

from .transactions import Transaction


class AlertDelivery(models.Model):
    """The outbox of fraud alerts: one row per fraud transaction and channel
    (e-mail, webhook), written in the transaction that stores the batch, so
    an alert exists as soon as its fraud does, whatever happens to Celery.

    A task claims a row for one attempt by taking a lease (``sending``
    until ``lease_until``); success marks it sent, a failure makes it
    pending again, due after a backoff, until no attempts are left. A lease
    that runs out (the worker died during the send) makes the row due
    again: at least once, so a receiver may see an alert twice. The
    dispatcher queues every row that is due (``due_at``).
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (no attempts left)"

    transaction = models.ForeignKey(
        Transaction,
        on_delete=models.CASCADE,
        related_name="alert_deliveries",
        # No constraint in the database: the partitioned transaction table
        # has no unique id alone for one to point at (migration 0028).
        db_constraint=False,
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(
        default=timezone.now,
        help_text="When the dispatcher queues it (again) if nothing sent it.",
    )
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="End of the current attempt's lease."
    )
    response_status = models.PositiveIntegerField(
        null=True, blank=True, help_text="HTTP status of the last answer, if any."
    )
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["transaction", "channel"], name="one_alert_per_channel"
            )
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="alert_delivery_open_due",
                condition=models.Q(status__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.channel} alert for {self.transaction.transaction_id} "
            f"({self.status})"
        )
