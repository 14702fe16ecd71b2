"""A GIN index on ``reasons`` (``jsonb_path_ops``) for the rule filter: the
containment query ``reasons @> '[{"rule": name}]'`` reads the index instead
of every row. PostgreSQL only; other databases skip it."""

from django.db import migrations

INDEX = "tx_reasons_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON transactions_app_transaction "
            "USING gin (reasons jsonb_path_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("transactions_app", "0009_review_version_db_default")]

    operations = [migrations.RunPython(create_index, drop_index)]
