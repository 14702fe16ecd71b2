"""Block and watch lists of accounts."""

import pytest

from tests.detection.context import run, tx
from transactions_app.detection import AccountListRule, Outcome

BLOCK = AccountListRule(name="block", list_name="block", force=Outcome.FRAUD)
LISTS = {"block": frozenset({"BAD"})}


@pytest.mark.parametrize(
    ("source", "target", "observed"),
    [
        ("BAD", "T1", "source on the block list"),
        ("S1", "BAD", "target on the block list"),
        ("BAD", "BAD", "source and target on the block list"),
    ],
)
def test_listed_accounts_fire(source, target, observed):
    reason = run(BLOCK, [], tx(source=source, target=target), lists=LISTS)
    assert reason.observed == observed
    assert reason.force is Outcome.FRAUD


def test_unlisted_accounts_and_missing_lists_do_not_fire():
    assert run(BLOCK, [], tx(), lists=LISTS) is None
    assert run(BLOCK, [], tx(source="BAD")) is None
