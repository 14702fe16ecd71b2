"""The typology scan on payments written by hand: each shape found at its
limits (hops, intermediaries, payers, the share passed on, the delay) and
not found just past them; shops, spending of one's own money and other
currencies never mistaken for laundering."""

from datetime import timedelta

import pytest

from tests.factories import NOW, stored_payment
from transactions_app.typologies.scans import (
    ScanSettings,
    pass_through_typology,
    scan,
)

pytestmark = pytest.mark.django_db

SETTINGS = ScanSettings()
SINCE, UNTIL = NOW - timedelta(days=30), NOW + timedelta(days=30)


def hours(n: float):
    return NOW + timedelta(hours=n)


def found(settings=SETTINGS, since=SINCE, until=UNTIL):
    return {
        (c.typology, c.key): c
        for c in scan(since=since, until=until, settings=settings)
    }


def ring(accounts, amounts, gap_hours=5.0):
    """Payments round ``accounts`` and back to the first, ``gap_hours``
    apart, of ``amounts``."""
    rows = []
    for i, (payer, amount) in enumerate(zip(accounts, amounts, strict=True)):
        payee = accounts[(i + 1) % len(accounts)]
        rows.append(
            stored_payment(payer, payee, amount, timestamp=hours(i * gap_hours))
        )
    return rows


def test_a_cycle_of_three_is_found_with_its_payments_in_order():
    rows = ring(["a", "b", "c"], ["1000.00", "950.00", "900.00"])
    (cycle,) = found().values()
    assert cycle.typology == "cycle"
    assert cycle.key == "cycle:a,b,c"
    assert cycle.accounts == ("a", "b", "c", "a")
    assert cycle.row_ids == tuple(r.pk for r in rows)


def test_money_back_after_two_payments_is_no_cycle():
    ring(["a", "b"], ["1000.00", "950.00"])
    assert found() == {}


def test_a_cycle_as_long_as_allowed_is_found_and_one_longer_is_not():
    six = [f"s{i}" for i in range(6)]
    ring(six, ["1000.00"] * 6)
    seven = [f"t{i}" for i in range(7)]
    ring(seven, ["1000.00"] * 7)
    keys = {key for _, key in found()}
    assert keys == {"cycle:" + ",".join(sorted(six))}


def test_a_hop_that_keeps_more_than_allowed_breaks_the_cycle():
    ring(["a", "b", "c"], ["1000.00", "800.00", "800.00"])  # 80 %: kept_min
    ring(["x", "y", "z"], ["1000.00", "799.99", "799.99"])  # just below
    assert {key for _, key in found()} == {"cycle:a,b,c"}


def test_a_hop_paying_on_more_than_it_got_breaks_the_cycle():
    ring(["a", "b", "c"], ["1000.00", "1000.01", "1000.01"])
    assert found() == {}


def test_a_hop_slower_than_hop_hours_breaks_the_cycle():
    ring(["a", "b", "c"], ["1000.00"] * 3, gap_hours=72.0)  # at the limit
    ring(["x", "y", "z"], ["1000.00"] * 3, gap_hours=72.01)
    assert {key for _, key in found()} == {"cycle:a,b,c"}


def test_payments_in_other_currencies_do_not_chain():
    stored_payment("a", "b", "1000.00", timestamp=hours(0))
    stored_payment("b", "c", "950.00", timestamp=hours(1), currency="GBP")
    stored_payment("c", "a", "900.00", timestamp=hours(2), currency="GBP")
    assert found() == {}


def test_payments_outside_the_period_are_not_read():
    ring(["a", "b", "c"], ["1000.00"] * 3)
    assert found(until=hours(10)) == {}  # the last payment is at hour 10
    assert found(since=hours(0.5)) == {}


def scatter(payer, mules, payee, share="300.00"):
    for i, mule in enumerate(mules):
        stored_payment(payer, mule, share, timestamp=hours(i))
        stored_payment(mule, payee, "290.00", timestamp=hours(i + 10))


def test_scatter_gather_through_three_intermediaries_is_found():
    scatter("boss", ["m1", "m2", "m3"], "collector")
    scatter("other", ["n1", "n2"], "sink")  # two: too few
    (finding,) = found().values()
    assert finding.typology == "scatter_gather"
    assert finding.key == "scatter_gather:boss>collector"
    assert finding.accounts == ("boss", "m1", "m2", "m3", "collector")
    assert len(finding.row_ids) == 6


def fan_in(mule, payers, out=("cash", "4750.00")):
    for i, payer in enumerate(payers):
        stored_payment(payer, mule, "1000.00", timestamp=hours(i * 20))
    target, amount = out
    stored_payment(mule, target, amount, timestamp=hours(len(payers) * 20))


def test_a_slow_fan_in_to_a_pass_through_account_is_found():
    fan_in("mule", [f"p{i}" for i in range(5)])  # fan_min payers
    fan_in("quiet", [f"q{i}" for i in range(4)], out=("cash", "3800.00"))
    (finding,) = found().values()
    assert finding.key == "fan_in:mule"
    assert finding.accounts == ("mule",)
    assert len(finding.row_ids) == 6


def test_an_account_spending_more_than_it_received_is_no_pass_through():
    fan_in("saver", [f"p{i}" for i in range(5)], out=("shop", "5000.01"))
    assert found() == {}


def test_an_account_paying_out_before_it_was_paid_is_no_pass_through():
    stored_payment("spender", "shop", "2000.00", timestamp=hours(-1))
    fan_in("spender", [f"p{i}" for i in range(5)], out=("cash", "2750.00"))
    assert found() == {}


def test_a_fan_out_from_one_payment_is_found():
    stored_payment("origin", "mule", "5000.00", timestamp=hours(0))
    for i in range(5):
        stored_payment("mule", f"r{i}", "950.00", timestamp=hours(30 + 24 * i))
    (finding,) = found().values()
    assert (finding.typology, finding.key) == ("fan_out", "fan_out:mule")


def test_a_shop_paid_by_many_customers_is_no_finding():
    for i in range(50):
        stored_payment(f"customer{i}", "shop", "30.00", timestamp=hours(i))
    assert found() == {}


def test_findings_are_bounded_by_max_findings():
    for n in range(3):
        ring([f"a{n}", f"b{n}", f"c{n}"], ["1000.00"] * 3)
    assert len(found(ScanSettings(max_findings=2))) == 2


@pytest.mark.parametrize(
    ("payers", "payees", "typology"),
    [
        (5, 1, "fan_in"),
        (9, 2, "fan_in"),
        (1, 5, "fan_out"),
        (2, 9, "fan_out"),
        (3, 5, "gather_scatter"),
        (5, 3, "gather_scatter"),
    ],
)
def test_a_pass_through_account_is_named_by_its_counterparties(
    payers, payees, typology
):
    assert pass_through_typology(payers=payers, payees=payees) == typology


def shop(name: str, customers: int):
    for i in range(customers):
        stored_payment(f"{name}-customer{i}", name, "20.00", timestamp=hours(-2))


def test_paying_a_hub_is_spending_not_passing_money_on():
    """A hub is paid by hub_payers (50) or more: a fan-in paid out to one
    is spent; to an account paid by one fewer, it is passed on."""
    shop("big-shop", 49)  # with the mule's payment: 50 payers
    shop("small-shop", 48)  # 49
    fan_in("spender", [f"p{i}" for i in range(5)], out=("big-shop", "4750.00"))
    fan_in("mule", [f"q{i}" for i in range(5)], out=("small-shop", "4750.00"))
    assert {key for _, key in found()} == {"fan_in:mule"}


def turnover(account: str, delay_hours: float):
    """Five payments in of 100, each followed after ``delay_hours`` by one
    out of 90, to five others: never holding much at once."""
    for i in range(5):
        stored_payment(f"{account}-in{i}", account, "100.00", timestamp=hours(120 * i))
        stored_payment(
            account,
            f"{account}-out{i}",
            "90.00",
            timestamp=hours(120 * i + delay_hours),
        )


def test_money_passed_on_as_it_came_is_a_pass_through():
    turnover("relay", 24.0)
    assert {key for _, key in found()} == {"gather_scatter:relay"}


def test_money_neither_gathered_nor_passed_on_soon_is_no_pass_through():
    turnover("household", 96.0)  # later than hop_hours, holding little
    assert found() == {}
