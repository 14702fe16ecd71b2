"""What the models share: a link to the user who did something."""

from django.conf import settings
from django.db import models


def user_reference(**options) -> models.ForeignKey:
    """A link to the user who did something: optional, kept as empty when
    the user is deleted (the record outlives the account)."""
    options = {
        "null": True,
        "blank": True,
        "on_delete": models.SET_NULL,
        "related_name": "+",
    } | options
    return models.ForeignKey(settings.AUTH_USER_MODEL, **options)
