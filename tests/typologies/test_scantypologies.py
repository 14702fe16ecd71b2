"""``scantypologies``: the findings of a scan recorded, as a summary or one
JSON object a line, and a bad ``--days`` refused by name."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.factories import NOW, stored_payment
from transactions_app.models import TypologyFinding
from transactions_app.tasks import scan_typologies

pytestmark = pytest.mark.django_db

UNTIL = (NOW + timedelta(days=1)).isoformat()


@pytest.fixture
def cycle():
    for i, (payer, payee) in enumerate([("a", "b"), ("b", "c"), ("c", "a")]):
        stored_payment(payer, payee, "1000.00", timestamp=NOW + timedelta(hours=i))


def run(*args) -> str:
    out = StringIO()
    call_command("scantypologies", *args, stdout=out)
    return out.getvalue()


def test_a_scan_reports_what_it_recorded(cycle):
    assert run("--until", UNTIL, "--days", "2") == (
        "Scanned 2 days: 1 new findings, 0 open ones found again, 0 decided "
        "ones found again (left as decided).\n"
    )
    assert run("--until", UNTIL, "--days", "2").startswith(
        "Scanned 2 days: 0 new findings, 1 open ones found again"
    )


def test_json_gives_one_finding_a_line(cycle):
    (line,) = run("--until", UNTIL, "--json").splitlines()
    finding = json.loads(line)
    stored = TypologyFinding.objects.get()
    assert finding == {
        "id": stored.pk,
        "typology": "cycle",
        "status": "new",
        "accounts": ["a", "b", "c", "a"],
        "transaction_ids": stored.transaction_ids,
        "amount": "1000.00",
        "currency": "EUR",
        "explanation": stored.explanation,
    }
    assert len(finding["transaction_ids"]) == 3


def test_the_default_period_is_typology_scan_days(cycle, settings):
    settings.TYPOLOGY_SCAN_DAYS = 1
    assert "Scanned 1 days: 1 new" in run("--until", UNTIL)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "--days must be a whole number of at least 1: '0'"),
        ("x", "--days must be a whole number of at least 1: 'x'"),
        ("367", "--days must be at most 366: 367"),
    ],
)
def test_a_bad_days_is_refused_by_name(value, message):
    with pytest.raises(CommandError, match=message):
        run("--days", value)


def test_the_longest_period_is_accepted(cycle):
    assert run("--until", UNTIL, "--days", "366").startswith("Scanned 366 days: 1 new")


def test_a_bad_until_is_refused_by_name():
    with pytest.raises(CommandError, match="--until is not an ISO 8601 time"):
        run("--until", "yesterday")


def test_the_periodic_task_records_the_findings_of_the_last_days(settings):
    now = timezone.now()
    for i, (payer, payee) in enumerate([("a", "b"), ("b", "c"), ("c", "a")]):
        stored_payment(payer, payee, "1000.00", timestamp=now - timedelta(hours=3 - i))
    assert scan_typologies() == 1
    assert scan_typologies() == 0
