"""Card testing: at least N small transactions within a window."""

import pytest

from tests.detection.context import run, tx
from transactions_app.detection import CardTestingRule, RuleConfigError

RULE = CardTestingRule(
    name="card_testing", small_amount="5", min_count=4, window_seconds=600, weight=60
)


def test_empty_history_never_fires():
    assert run(RULE, [], tx("1.00")) is None


def test_fires_on_the_nth_small_transaction():
    smalls = [tx("1.00", t=i) for i in range(3)]
    reason = run(RULE, smalls, tx("2.00", t=10))
    assert reason.observed == "4 transactions below 5.00 EUR"
    assert reason.window == 600


def test_the_large_payment_after_the_tests_is_flagged_too():
    smalls = [tx("1.00", t=i) for i in range(4)]
    reason = run(RULE, smalls, tx("750.00", t=20))
    assert (reason.observed, reason.threshold) == (
        "4 transactions below 5.00 EUR",
        ">= 4",
    )


def test_amounts_at_the_limit_are_not_small():
    at_limit = [tx("5.00", t=i) for i in range(5)]
    assert run(RULE, at_limit, tx("5.00", t=10)) is None


def test_small_transactions_outside_the_window_are_forgotten():
    old = [tx("1.00", t=i) for i in range(3)]
    assert run(RULE, old, tx("1.00", t=602)) is None


SCALED = CardTestingRule(
    name="card_testing",
    small_amount="2",
    min_count=4,
    window_seconds=600,
    weight=60,
    small_share=0.01,
)


def forint_population(count=1600):
    """Recent payments in a currency of hundreds of units to the euro,
    from other payers: 500.00 to 80,450.00 HUF (the population samples a
    quarter of them)."""
    return [
        tx(f"{500 + 50 * i}", t=-86400 + i, source=f"P{i}", currency="HUF")
        for i in range(count)
    ]


def test_small_follows_the_currency_scale_once_it_has_a_population():
    population = forint_population()
    tests = [tx("300", t=i, currency="HUF") for i in range(3)]
    reason = run(SCALED, population + tests, tx("280", t=10, currency="HUF"))
    assert reason.observed.startswith("4 transactions below ")
    assert reason.observed.endswith(" HUF")
    ordinary = [tx("9000", t=i, currency="HUF") for i in range(3)]
    assert run(SCALED, population + ordinary, tx("9500", t=10, currency="HUF")) is None


def test_without_a_population_the_fixed_amount_decides():
    tests = [tx("300", t=i, currency="HUF") for i in range(3)]
    assert run(SCALED, tests, tx("280", t=10, currency="HUF")) is None
    tiny = [tx("1.00", t=i, currency="HUF") for i in range(3)]
    assert run(SCALED, tiny, tx("1.50", t=10, currency="HUF")) is not None


def test_the_fixed_amount_stays_the_floor_where_the_population_is_tinier():
    population = [
        tx("0.10", t=-86400 + i, source=f"P{i}") for i in range(1600)
    ]  # every recent payment tinier than small_amount
    smalls = [tx("1.50", t=i) for i in range(3)]
    assert run(SCALED, population + smalls, tx("1.90", t=10)) is not None


def test_bad_configuration_is_refused():
    with pytest.raises(RuleConfigError, match="min_count"):
        CardTestingRule(
            name="c", weight=1, small_amount=5, min_count=0, window_seconds=10
        )
    for share in (0, 0.5, "0.01", True):
        with pytest.raises(RuleConfigError, match="small_share"):
            CardTestingRule(
                name="c",
                weight=1,
                small_amount=5,
                min_count=3,
                window_seconds=10,
                small_share=share,
            )
