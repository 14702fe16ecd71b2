"""The realistic profile's population: shops with many customers, bills,
transfers between people, night workers, and the enrichment fields a
processor would send."""

from collections import Counter, defaultdict
from datetime import UTC, datetime

import pytest

from transactions_app.detection import CHANNELS
from transactions_app.simulation.realistic import (
    CATEGORIES,
    DAY_HOURS,
    RealisticProfile,
    accounts_for_rate,
    rate_for_accounts,
)

START = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def legit():
    rate = rate_for_accounts(3000)
    profile = RealisticProfile(seed=4, start=START, rate=rate, fraud_share=0.0)
    return [profile().transaction for _ in range(30_000)]


def test_shops_are_paid_by_many_customers_in_their_category(legit):
    shops = [tx for tx in legit if tx.merchant_category not in (None, "utilities")]
    customers = defaultdict(set)
    for tx in shops:
        customers[tx.target].add(tx.source)
    assert len(customers) >= 50
    assert sorted(len(c) for c in customers.values())[len(customers) // 2] >= 40
    assert {tx.merchant_category for tx in shops} <= set(CATEGORIES)
    by_shop = {(tx.target, tx.merchant_category) for tx in shops}
    assert len(by_shop) == len(customers)  # one category a shop


def test_bills_are_direct_debits_of_the_same_amount(legit):
    bills = [tx for tx in legit if tx.merchant_category == "utilities"]
    assert len(bills) > 500
    assert {tx.channel for tx in bills} == {"direct_debit"}
    amounts = defaultdict(set)
    for tx in bills:
        amounts[tx.source].add(tx.amount)
    assert all(len(a) == 1 for a in amounts.values())


def test_people_pay_each_other_by_transfer_and_every_payment_has_a_country(legit):
    transfers = [tx for tx in legit if tx.merchant_category is None]
    assert len(transfers) > 0.2 * len(legit)
    assert {tx.channel for tx in transfers} == {"transfer"}
    assert all(tx.channel in CHANNELS and tx.country for tx in legit)


def test_night_payments_come_mostly_from_night_workers(legit):
    hours = defaultdict(Counter)
    for tx in legit:
        hours[tx.source][tx.timestamp.hour in DAY_HOURS] += 1
    night_people = {s for s, h in hours.items() if h[False] > h[True]}
    assert 0.03 * len(hours) < len(night_people) < 0.15 * len(hours)
    night = [tx for tx in legit if tx.timestamp.hour not in DAY_HOURS]
    from_night_people = sum(tx.source in night_people for tx in night)
    assert from_night_people > 0.5 * len(night)


def test_people_pay_in_their_home_currency_at_its_scale(legit):
    currencies = defaultdict(set)
    for tx in legit:
        currencies[tx.source].add(tx.currency)
    assert all(len(c) == 1 for c in currencies.values())
    amounts = defaultdict(list)
    for tx in legit:
        amounts[tx.currency].append(float(tx.amount))
    assert set(amounts) == {"EUR", "GBP", "SEK", "PLN", "HUF"}
    assert len(amounts["EUR"]) > 0.5 * len(legit)
    median = {c: sorted(a)[len(a) // 2] for c, a in amounts.items()}
    assert 200 < median["HUF"] / median["EUR"] < 800  # 400 forints a euro
    assert all(a == int(a) for a in amounts["HUF"])  # whole forints


def test_fraud_is_paid_in_the_currencies_of_its_victims():
    rate = rate_for_accounts(3000)
    profile = RealisticProfile(seed=5, start=START, rate=rate, fraud_share=0.2)
    fraud = [x for x in (profile() for _ in range(20_000)) if x.label != "legit"]
    assert {x.transaction.currency for x in fraud} == {
        "EUR",
        "GBP",
        "SEK",
        "PLN",
        "HUF",
    }


def test_the_population_follows_the_rate():
    assert accounts_for_rate(2.0) == 86_400
    assert accounts_for_rate(0.001) == 3000
    assert accounts_for_rate(10_000) == 200_000
    assert rate_for_accounts(86_400) == pytest.approx(2.0)
