"""Sum in window: total sent by one source within a window above X."""

import pytest

from tests.detection.context import run, tx
from transactions_app.detection import RuleConfigError, SumInWindowRule

RULE = SumInWindowRule(name="sum", max_total="1000", window_seconds=3600, weight=40)


def test_empty_history_compares_the_amount_alone():
    assert run(RULE, [], tx("1000.00", t=0)) is None
    assert run(RULE, [], tx("1000.01", t=0)).observed == "1000.01"


def test_fires_when_the_window_total_exceeds():
    reason = run(RULE, [tx("400", t=0), tx("400", t=100)], tx("200.01", t=200))
    assert (reason.observed, reason.threshold, reason.window) == (
        "1000.01",
        "> 1000",
        3600,
    )


def test_amounts_outside_the_window_do_not_count():
    assert run(RULE, [tx("900", t=0)], tx("200", t=3600)) is None
    reason = run(RULE, [tx("900", t=0.5)], tx("200", t=3600))
    assert (reason.observed, reason.threshold) == ("1100.00", "> 1000")


def test_late_and_equal_timestamps():
    """A late transaction (within the allowed lateness) is summed with the
    equal-time ones before it, not with the later one."""
    history = [tx("500", t=100), tx("500", t=100), tx("500", t=3700)]
    assert run(RULE, history, tx("1", t=100)).observed == "1001.00"


def test_events_later_than_the_allowed_lateness_find_their_window_trimmed():
    """State is bounded: entries older than retention + lateness behind the
    account's newest event are gone."""
    history = [tx("500", t=100), tx("500", t=100), tx("500", t=5000)]
    assert run(RULE, history, tx("1", t=100)) is None


SCALED = SumInWindowRule(
    name="sum", max_total="1000", window_seconds=3600, weight=40, median_factor=10
)


def habits(amount: str, count: int = 5, currency="EUR"):
    """A payer's earlier payments, days before the window."""
    return [tx(amount, t=-86400 * (i + 2), currency=currency) for i in range(count)]


def test_with_a_median_factor_a_payer_of_large_habits_is_left_alone():
    history = habits("800") + [tx("800", t=0), tx("800", t=100)]
    assert run(SCALED, history, tx("800", t=200)) is None  # 3x its median


def test_with_a_median_factor_a_total_far_above_the_payers_median_fires():
    history = habits("50") + [tx("400", t=0), tx("400", t=100)]
    reason = run(SCALED, history, tx("200.01", t=200))
    assert reason.observed == "1000.01 EUR, 20.0x this payer's median of 50.00"
    assert reason.threshold == "> 1000 and >= 10x the median"


def test_a_new_payer_is_compared_with_its_currencys_population():
    population = [
        tx("8000", t=-86400 + i, source=f"P{i}", currency="HUF") for i in range(1600)
    ]
    ordinary = [tx("9000", t=0, currency="HUF"), tx("7000", t=10, currency="HUF")]
    assert run(SCALED, population + ordinary, tx("8000", t=20, currency="HUF")) is None
    spree = [tx("40000", t=0, currency="HUF"), tx("40000", t=10, currency="HUF")]
    reason = run(SCALED, population + spree, tx("8000", t=20, currency="HUF"))
    assert reason.observed == "88000.00 HUF, 11.0x the currency's median of 8000.00"


def test_a_currency_without_a_baseline_is_not_judged_by_size():
    assert run(SCALED, [], tx("5000", t=0, currency="HUF")) is None


def test_bad_configuration_is_refused():
    with pytest.raises(RuleConfigError, match="max_total must be a positive amount"):
        SumInWindowRule(name="s", weight=1, max_total=0, window_seconds=10)
    for factor in (0.5, "10", True):
        with pytest.raises(RuleConfigError, match="median_factor"):
            SumInWindowRule(
                name="s", weight=1, max_total=1, window_seconds=10, median_factor=factor
            )
