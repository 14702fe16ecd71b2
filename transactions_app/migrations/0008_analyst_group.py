"""The Analyst group: view transactions and dead letters, and review
flagged transactions. Nothing else (rules belong to Rule managers)."""

from django.db import migrations

ANALYST_PERMISSIONS = [
    "view_transaction",
    "review_transaction",
    "view_reviewevent",
    "view_deadletter",
]


def create_analyst_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("transactions_app")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Analyst")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="transactions_app",
            codename__in=ANALYST_PERMISSIONS,
        )
    )


class Migration(migrations.Migration):
    dependencies = [("transactions_app", "0007_review_trail")]

    operations = [
        migrations.RunPython(create_analyst_group, migrations.RunPython.noop),
    ]
