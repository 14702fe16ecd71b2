"""Known merchants (or any account list) imported from a CSV file: all or
nothing, idempotent, and a bad line named."""

import gzip

import pytest
from django.core.management import CommandError, call_command

from transactions_app.models import AccountListEntry
from transactions_app.rules.services import AccountImportRefused, account_list_import

pytestmark = pytest.mark.django_db


def on_list(name: str) -> dict:
    entries = AccountListEntry.objects.filter(list_name=name)
    return dict(entries.values_list("account", "note"))


def test_a_file_of_merchants_is_put_on_the_list_once(tmp_path, capsys):
    path = tmp_path / "merchants.csv.gz"
    path.write_bytes(
        gzip.compress(b"account,note\nshop-1,Bakery\n\nshop-2\nshop-1,again\n")
    )
    call_command("importaccounts", path)
    assert on_list("merchant") == {"shop-1": "Bakery", "shop-2": ""}
    call_command("importaccounts", path)
    out = capsys.readouterr().out
    assert "2 accounts added to the merchant list, 0 already on it" in out
    assert "0 accounts added to the merchant list, 2 already on it" in out


def test_a_bad_line_is_named_and_nothing_is_imported(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("shop-1\nshop 2 with spaces\nshop-3\n")
    with pytest.raises(CommandError, match="line 2: 'shop 2 with spaces' is not an"):
        call_command("importaccounts", path)
    assert on_list("merchant") == {}


def test_an_unknown_list_or_a_missing_file_is_refused(tmp_path):
    with pytest.raises(AccountImportRefused, match="unknown list 'vip'"):
        account_list_import(list_name="vip", rows=[(1, "a", "")])
    with pytest.raises(CommandError, match="nowhere.csv"):
        call_command("importaccounts", tmp_path / "nowhere.csv")


def test_the_block_list_can_be_imported_too(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("mule-7,seen in case 12\n")
    call_command("importaccounts", path, list_name="block")
    assert on_list("block") == {"mule-7": "seen in case 12"}
