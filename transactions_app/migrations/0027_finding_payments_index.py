"""A GIN index on the findings' ``transaction_ids`` (``jsonb_path_ops``):
a case page lists the typology findings its payment is part of with the
containment query ``transaction_ids @> '["<id>"]'``, which reads the index
instead of every finding.

PostgreSQL only (the operator class exists nowhere else), created with
SQL like ``0011_changelist_indexes`` and not part of the model state.
"""

from django.db import migrations

NAME = "finding_payments_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NAME} ON transactions_app_typologyfinding "
        "USING gin (transaction_ids jsonb_path_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("transactions_app", "0026_typology_findings")]

    operations = [migrations.RunPython(create_index, drop_index)]
