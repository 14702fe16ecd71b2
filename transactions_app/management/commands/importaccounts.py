"""``manage.py importaccounts --list merchant FILE``: put the accounts of a
CSV file on an account list (known merchants, the block or watch list)."""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from transactions_app.rules.services import AccountImportRefused, account_list_import
from transactions_app.simulation.datasets import DatasetError, open_text


class Command(BaseCommand):
    help = (
        "Put the accounts of a CSV file (first column the account id, an "
        "optional second a note; a header line 'account' is skipped; gzip "
        "when the name ends in .gz) on an account list. All or nothing: a "
        "line whose account could never match a transaction is named and "
        "nothing is imported. Accounts already on the list stay as they are. "
        "A running detector picks the list up within seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--list",
            dest="list_name",
            default="merchant",
            help="merchant (default), block or watch.",
        )

    def handle(self, *args, file, list_name, **options):
        try:
            added, present = account_list_import(
                list_name=list_name, rows=list(_rows(file))
            )
        except (AccountImportRefused, DatasetError, OSError, UnicodeError) as error:
            raise CommandError(f"{file}: {error}") from error
        self.stdout.write(
            f"{added} accounts added to the {list_name} list, {present} already on it"
        )


def _rows(path: Path):
    """``(line, account, note)`` for each non-empty line of the CSV."""
    with open_text(path) as lines:
        for number, row in enumerate(csv.reader(lines), start=1):
            cells = [cell.strip() for cell in row]
            if not cells or not cells[0]:
                continue
            if number == 1 and cells[0].lower() == "account":
                continue
            yield number, cells[0], cells[1] if len(cells) > 1 else ""
