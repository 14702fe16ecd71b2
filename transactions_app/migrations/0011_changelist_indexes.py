"""Indexes for the transactions changelist on a large table (measured with
``python -m benchmarks.admin_changelist`` on 1,000,000 rows):

- a GIN index on ``reasons`` (``jsonb_path_ops``) for the rule filter: the
  containment query ``reasons @> '[{"rule": name}]'`` reads the index
  instead of every row;
- a B-tree index on ``amount`` for the amount range filter.

They are created with SQL, PostgreSQL only (the GIN operator class does not
exist elsewhere), and are not part of the model state.
"""

from django.db import migrations

INDEXES = {
    "tx_reasons_gin": "USING gin (reasons jsonb_path_ops)",
    "tx_amount": "(amount)",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON transactions_app_transaction "
            f"{definition}"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("transactions_app", "0010_webhook_deliveries")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
