"""Celery task of the typology scan: the daily scan over the last
``TYPOLOGY_SCAN_DAYS``."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .services import typologies_scan_period


@shared_task(name="transactions_app.tasks.scan_typologies")
def scan_typologies() -> int:
    """The periodic scan (``CELERY_BEAT_SCHEDULE``); returns how many new
    findings it recorded."""
    return typologies_scan_period(
        days=settings.TYPOLOGY_SCAN_DAYS, until=timezone.now()
    ).created
