"""Findings of the typology scan: laundering shapes over many payments,
each a case reviewed like a flagged transaction."""

from django.db import models

from .base import user_reference
from .transactions import ReviewStatus


class Typology(models.TextChoices):
    """The shapes the scan finds (``typologies/scans.py``)."""

    CYCLE = "cycle", "Cycle"
    SCATTER_GATHER = "scatter_gather", "Scatter-gather"
    GATHER_SCATTER = "gather_scatter", "Gather-scatter"
    FAN_IN = "fan_in", "Fan-in"
    FAN_OUT = "fan_out", "Fan-out"


class TypologyFinding(models.Model):
    """One shape found over the payments of a period: the accounts in the
    order money went through them, the payments involved and why it was
    found. ``key`` names the shape across scans: a later scan that finds
    it again updates an open finding rather than adding one."""

    typology = models.CharField(max_length=16, choices=Typology.choices)
    key = models.CharField(max_length=512, unique=True)
    accounts = models.JSONField(help_text="In the order money went through them.")
    transaction_ids = models.JSONField(
        help_text="The payments involved (their transaction ids), by time."
    )
    explanation = models.TextField()
    amount = models.DecimalField(
        max_digits=16, decimal_places=2, help_text="Money that entered the shape."
    )
    currency = models.CharField(max_length=3)
    first_at = models.DateTimeField(help_text="Its first payment's event time.")
    last_at = models.DateTimeField(help_text="Its last payment's event time.")
    found_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(
        auto_now=True, help_text="When a scan last found it."
    )
    review_status = models.CharField(
        max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.NEW
    )
    assignee = user_reference(help_text="The analyst working on this finding.")
    review_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-found_at", "-id"]
        indexes = [
            models.Index(fields=["review_status", "-found_at"], name="finding_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_typology_display()} of {len(self.accounts)} accounts"


class FindingEvent(models.Model):
    """One step of a finding's audit trail, like ``ReviewEvent`` for a
    transaction. Never changed."""

    finding = models.ForeignKey(
        TypologyFinding, on_delete=models.CASCADE, related_name="events"
    )
    actor = user_reference()
    at = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=16, choices=ReviewStatus.choices)
    to_status = models.CharField(max_length=16, choices=ReviewStatus.choices)
    assignee = user_reference()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status} by {self.actor}"
