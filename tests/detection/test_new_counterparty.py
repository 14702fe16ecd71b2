"""New counterparty with a large amount: an established source's first
transfer to a target, for at least X."""

from tests.detection.context import run, tx
from transactions_app.detection import NewCounterpartyRule

RULE = NewCounterpartyRule(name="new_cp", min_amount="500", min_history=3, weight=50)
HISTORY = [tx("20", t=i, target="KNOWN") for i in range(3)]


def test_fires_on_a_large_first_transfer():
    reason = run(RULE, HISTORY, tx("800", t=10, target="NEW"))
    assert reason.observed == "first transfer to NEW: 800"
    assert reason.threshold == ">= 500 after 3 transactions"


def test_known_counterparties_and_small_amounts_do_not_fire():
    assert run(RULE, HISTORY, tx("800", t=10, target="KNOWN")) is None
    assert run(RULE, HISTORY, tx("499.99", t=10, target="NEW")) is None


def test_a_source_without_enough_history_does_not_fire():
    """A brand-new account has no counterparties to compare with."""
    assert run(RULE, [], tx("800", t=0, target="NEW")) is None
    assert run(RULE, HISTORY[:2], tx("800", t=10, target="NEW")) is None


def test_the_second_transfer_to_the_same_target_is_no_longer_new():
    history = [*HISTORY, tx("800", t=10, target="NEW")]
    assert run(RULE, history, tx("800", t=11, target="NEW")) is None
