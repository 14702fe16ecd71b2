"""The audit trail of a case."""

from django.db import models

from .base import user_reference
from .transactions import ReviewStatus, Transaction


class ReviewEvent(models.Model):
    """One step of a case's audit trail: who, when, from which status to
    which, the assignee after the step, and a note. Never changed."""

    transaction = models.ForeignKey(
        Transaction,
        on_delete=models.CASCADE,
        related_name="review_events",
        # No constraint in the database: the partitioned transaction table
        # has no unique id alone for one to point at (migration 0028).
        db_constraint=False,
    )
    actor = user_reference(blank=False)
    at = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=16, choices=ReviewStatus.choices)
    to_status = models.CharField(max_length=16, choices=ReviewStatus.choices)
    assignee = user_reference()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status} by {self.actor}"
