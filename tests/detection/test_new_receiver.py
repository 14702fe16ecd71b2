"""A first payment to a receiver that has hardly been paid before: a mule
rather than a shop."""

import pytest

from tests.detection.context import run, tx
from transactions_app.detection import NewReceiverRule, RuleConfigError

RULE = NewReceiverRule(name="new", max_payments=2, weight=30)


def paid_by_others(count: int, target: str = "MULE") -> list:
    return [tx("10.00", t=i, source=f"P{i}", target=target) for i in range(count)]


def test_fires_on_a_first_payment_to_a_receiver_paid_at_most_n_times():
    reason = run(RULE, paid_by_others(2), tx("50.00", t=100, target="MULE"))
    assert reason.observed == "first payment to MULE, which received 2 payments before"
    assert reason.threshold == "<= 2"
    assert run(RULE, [], tx("50.00", t=100, target="MULE")) is not None


def test_an_established_receiver_is_not_new():
    assert run(RULE, paid_by_others(3), tx("50.00", t=100, target="MULE")) is None


def test_a_receiver_the_payer_paid_before_is_not_new_to_it():
    history = [tx("10.00", t=0, target="MULE")]
    assert run(RULE, history, tx("50.00", t=100, target="MULE")) is None


def test_with_an_amount_factor_small_first_payments_pass():
    rule = NewReceiverRule(name="n", max_payments=2, min_amount_factor=3, weight=30)
    own = [tx("20.00", t=i, target=f"SHOP{i}") for i in range(5)]  # median 20
    assert run(rule, own, tx("59.99", t=100, target="MULE")) is None
    assert run(rule, own, tx("60.00", t=100, target="MULE")) is not None
    assert run(rule, [], tx("5000.00", t=100, target="MULE")) is None  # no median


@pytest.mark.parametrize(
    "params, message",
    [
        ({"max_payments": -1}, "max_payments must be a whole number"),
        ({"min_amount_factor": -1}, "min_amount_factor must be a number"),
    ],
)
def test_configurations_that_cannot_work_are_refused(params, message):
    with pytest.raises(RuleConfigError, match=message):
        NewReceiverRule(name="n", weight=1, **params)


def test_a_known_merchant_is_never_a_new_receiver():
    merchants = {"merchant": frozenset({"SHOP"})}
    current = tx("50.00", t=100, target="SHOP")
    assert run(RULE, [], current, lists=merchants) is None
    assert run(RULE, [], current, lists={"watch": frozenset({"SHOP"})}) is not None
