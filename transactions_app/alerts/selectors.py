"""Reads of the alert outbox."""

from django.db.models import Count

from ..models import AlertDelivery


def alert_deliveries_unsent() -> dict[str, int]:
    """How many fraud alert deliveries are pending, sending and failed (all
    three, zeros included); sent ones are not counted."""
    unsent = [s for s in AlertDelivery.Status if s != AlertDelivery.Status.SENT]
    counts = dict(
        AlertDelivery.objects.filter(status__in=unsent)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {status.value: counts.get(status.value, 0) for status in unsent}
