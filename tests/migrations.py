"""Running the migrations to a point and back, for the tests of data
migrations: what an installation made before them holds, migrated."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    """Migrate the test database to ``targets``; returns the models as they
    are there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@contextmanager
def migrated_back_to(targets) -> Iterator:
    """The models at ``targets``, and the database at the latest migration
    again afterwards."""
    try:
        yield migrate(targets)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
