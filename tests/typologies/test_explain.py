"""A finding in words: the accounts in order, the money in and out, the
share passed on and how long it took, from plain payments."""

from datetime import timedelta
from decimal import Decimal

from tests.factories import NOW
from transactions_app.typologies.explain import Payment, explain


def pay(source, target, amount, hours, currency="EUR"):
    return Payment(
        transaction_id=f"{source}-{target}-{hours}",
        source=source,
        target=target,
        amount=Decimal(amount),
        currency=currency,
        at=NOW + timedelta(hours=hours),
    )


def test_a_cycle_says_where_the_money_went_and_what_came_back():
    payments = [
        pay("c", "a", "900.00", 10),
        pay("a", "b", "1000.00", 0),
        pay("b", "c", "950.00", 5),
    ]
    explained = explain("cycle", ("a", "b", "c", "a"), payments)
    assert explained.text == (
        "Money went round 3 accounts back to where it started: a → b → c → a; "
        "1,000.00 EUR out and 900.00 EUR back (90%), over 10.0 hours."
    )
    assert explained.amount == Decimal("1000.00")
    assert (explained.first_at, explained.last_at) == (
        NOW,
        NOW + timedelta(hours=10),
    )


def test_scatter_gather_counts_the_intermediaries_and_the_gathered_sum():
    payments = [
        pay("boss", "m1", "500.00", 0),
        pay("boss", "m2", "500.00", 1),
        pay("m1", "sink", "480.00", 30),
        pay("m2", "sink", "470.00", 49),
    ]
    explained = explain("scatter_gather", ("boss", "m1", "m2", "sink"), payments)
    assert explained.text == (
        "boss paid 2 intermediaries 1,000.00 EUR; each passed most of it on "
        "to sink, which gathered 950.00 EUR (95%), over 2.0 days."
    )
    assert explained.amount == Decimal("1000.00")


def test_a_fan_in_says_who_paid_in_and_how_much_went_out():
    payments = [pay(f"p{i}", "mule", "100.00", 24 * i) for i in range(5)]
    payments.append(pay("mule", "cash", "480.00", 100))
    explained = explain("fan_in", ("mule",), payments)
    assert explained.text == (
        "mule received 500.00 EUR from 5 payers over 4.0 days and paid "
        "480.00 EUR (96%) out to 1 account over 0.0 hours, never more than "
        "it had received: money passing through, not spent."
    )
    assert explained.currency == "EUR"
