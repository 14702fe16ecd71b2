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


def grant_to_group(apps, group_name: str, codenames: list[str]) -> None:
    """For a data migration: give the group (created if need be) these
    permissions of the app, creating the permissions first (Django makes
    them only after all migrations ran)."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("transactions_app")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=group_name)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="transactions_app", codename__in=codenames
        )
    )
