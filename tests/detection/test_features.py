"""The learned score's features: computed from the state before each
transaction, the same whichever way the stream reaches the engine."""

import math
from datetime import UTC, datetime

import pytest

from tests.detection.context import at, tx
from tests.factories import NOW
from transactions_app.detection import Engine, RuleSet
from transactions_app.detection.features import (
    FEATURE_NAMES,
    SOURCE_WINDOW,
    FeatureRows,
    FeatureSet,
)
from transactions_app.rules.defaults import default_rules
from transactions_app.simulation.realistic import RealisticProfile, rate_for_accounts


def engine(rules=()) -> Engine:
    return Engine(RuleSet(rules=tuple(rules)), clock=lambda: NOW, features=FeatureSet())


def named(vector) -> dict:
    return dict(zip(FEATURE_NAMES, vector, strict=True))


def stream(count=3000):
    profile = RealisticProfile(
        seed=7,
        start=datetime(2026, 3, 2, tzinfo=UTC),
        rate=rate_for_accounts(300),
        accounts=300,
        fraud_share=0.05,
    )
    return [profile().transaction for _ in range(count)]


def test_a_row_sees_only_the_transactions_before_it():
    transactions = stream()
    replayed = engine()
    rows = [replayed.observe(t) for t in transactions]
    for index in (0, 1, 500, 2999):
        fresh = engine()
        for earlier in transactions[:index]:
            fresh.observe(earlier)
        assert _same(fresh.observe(transactions[index]), rows[index])


def test_classifying_with_rules_leaves_the_state_the_features_read():
    """Serving classifies, training observes: the rows match."""
    transactions = stream(1500)
    observing, classifying = engine(), engine(default_rules())
    for t in transactions[:-1]:
        observing.observe(t)
        classifying.classify(t)
    assert _same(
        observing.observe(transactions[-1]), classifying.observe(transactions[-1])
    )


def test_a_payer_new_to_the_engine_has_nothing_known():
    row = named(engine().observe(tx("25.00")))
    assert row["payer_amounts_known"] == 0
    assert row["new_counterparty"] == 1
    assert math.isnan(row["log_amount_vs_payer_median"])
    assert math.isnan(row["log_seconds_since_previous"])
    assert row["log_amount"] == pytest.approx(math.log1p(25))


def test_amounts_and_activity_against_the_payers_own_history():
    subject = engine()
    for i in range(5):
        subject.observe(tx("10.00", t=-7200 + i * 60, target=f"T{i}"))
    row = named(subject.observe(tx("100.00", t=0, target="T0")))
    assert row["payer_amounts_known"] == 5
    assert row["log_amount_vs_payer_median"] == pytest.approx(math.log(10))
    assert row["amount_share_below_payer"] == 1.0
    assert row["payer_payments_1h"] == 0  # all two hours back
    assert row["payer_payments_24h"] == 5
    assert row["log_payer_sum_24h_vs_median"] == pytest.approx(math.log(15))
    assert row["payer_large_24h"] == 0
    assert row["payer_targets_24h"] == 5
    assert row["new_counterparty"] == 0
    assert row["log_seconds_since_previous"] == pytest.approx(math.log1p(7200 - 240))
    assert row["payer_odd_hours_24h"] == 0  # all at its usual hour
    # 5 payments over 2 hours: 5 a day; 115 against 5 x its median of 10
    assert row["log_payer_24h_vs_usual_day"] == pytest.approx(math.log(150 / 50))
    assert row["log_payer_sum_3d"] == pytest.approx(math.log1p(50))
    assert row["log_payer_previous_amount"] == pytest.approx(math.log1p(10))
    assert row["log_seconds_since_second_previous"] == pytest.approx(
        math.log1p(7200 - 180)
    )


def test_payments_at_hours_odd_for_the_payer_are_counted():
    subject = engine()
    for day in range(2, 60):  # always at 10:00, for eight weeks
        subject.observe(tx("10.00", t=-day * 86400))
    for hour in (1, 2):
        subject.observe(tx("10.00", t=-86400 + (24 - 10 + hour) * 3600 - 1))
    row = named(subject.observe(tx("10.00", t=0)))
    assert row["payer_odd_hours_24h"] == 2


def test_a_week_of_payments_is_counted():
    subject = engine()
    for day in range(1, 7):
        subject.observe(tx("10.00", t=-day * 86400))
    row = named(subject.observe(tx("10.00", t=0)))
    assert row["payer_payments_7d"] == 6
    assert row["payer_payments_24h"] == 0
    assert subject.state.limits.retention >= SOURCE_WINDOW


def test_a_receiver_paid_by_new_senders():
    subject = engine()
    for i in range(4):
        subject.observe(tx("50.00", t=i, source=f"S{i}", target="MULE"))
    row = named(subject.observe(tx("50.00", t=10, source="S9", target="MULE")))
    assert row["receiver_payments_1h"] == 4
    assert row["receiver_new_senders_1h"] == 4
    assert row["receiver_age_days"] == pytest.approx(10 / 86400)


def test_a_receivers_day_of_payments_is_counted_by_the_hour():
    subject = engine()
    start = -(NOW.timestamp() % 3600)  # the start of NOW's hour
    for hours_back in (30, 20, 2, 1):
        subject.observe(tx("5.00", t=start - hours_back * 3600 + 1, target="SHOP"))
    row = named(subject.observe(tx("5.00", t=0, target="SHOP")))
    assert row["receiver_payments_24h"] == 3  # 30 hours back is out
    assert subject.state.limits.receiver_day


def test_a_three_day_total_leaves_out_the_older_payments():
    subject = engine()
    for days_back in (5, 2.5, 1):
        subject.observe(tx("10.00", t=-days_back * 86400))
    row = named(subject.observe(tx("10.00", t=0)))
    assert row["log_payer_sum_3d"] == pytest.approx(math.log1p(20))
    assert row["log_seconds_since_second_previous"] == pytest.approx(
        math.log1p(2.5 * 86400)
    )


def test_a_merchant_category_new_to_the_payer():
    subject = engine()
    for i in range(3):
        subject.observe(tx("10.00", t=i, merchant_category="grocery"))
    known = named(subject.observe(tx("10.00", t=10, merchant_category="grocery")))
    new = named(subject.observe(tx("10.00", t=20, merchant_category="travel")))
    assert (known["merchant_category_new"], known["merchant_category_share"]) == (0, 1)
    assert new["merchant_category_new"] == 1
    assert math.isnan(new["channel_new"])  # no payment carried a channel


def test_hour_and_weekday_are_the_event_times():
    monday_3am = datetime(2026, 3, 2, 3, 30, tzinfo=UTC)
    seconds = (monday_3am - at(0)).total_seconds()
    row = named(engine().observe(tx("10.00", t=seconds)))
    assert (row["hour"], row["weekday"]) == (3, 0)
    assert at(seconds) == monday_3am


def test_a_feature_set_names_only_known_features():
    chosen = FeatureSet(("hour", "log_amount"))
    subject = Engine(RuleSet(), clock=lambda: NOW, features=chosen)
    assert subject.observe(tx("9.00", t=0)) == (10.0, pytest.approx(math.log(10)))
    with pytest.raises(ValueError, match="unknown feature"):
        FeatureSet(("hour", "tomorrow's_news"))


def test_an_engine_without_features_refuses_to_observe():
    with pytest.raises(ValueError, match="without features"):
        Engine(RuleSet(), clock=lambda: NOW).observe(tx())


def _same(left, right) -> bool:
    return all(
        (math.isnan(a) and math.isnan(b)) or a == b
        for a, b in zip(left, right, strict=True)
    )


def test_a_model_of_some_features_reads_them_by_name_in_its_order():
    """A model keeps the names it was trained with: its rows pick those
    features, in its order, from the full vector."""
    some = FeatureSet(("hour", "log_amount", "payer_payments_24h"))
    full, partial = engine(), Engine(RuleSet(), clock=lambda: NOW, features=some)
    for transaction in stream(200):
        everything = named(full.observe(transaction))
        row = partial.observe(transaction)
        assert _same(row, tuple(everything[name] for name in some.names))
    with pytest.raises(ValueError, match="unknown feature"):
        FeatureSet(("log_amount", "shoe_size"))


def test_a_batch_s_rows_are_read_in_a_model_s_columns():
    """A batch keeps its rows flat (``FeatureRows``); read through a
    model's feature set, each row is that model's columns in its order."""
    batch, full = FeatureRows(), engine()
    transactions = stream(50)
    for transaction in transactions:
        batch.append(full.observe(transaction))
    some = FeatureSet(("hour", "log_amount"))
    picked = some.rows(batch)
    assert len(batch) == len(picked) == 50
    assert batch.data is picked.data  # read in place, not copied
    again = engine()
    for index, transaction in enumerate(transactions):
        everything = named(again.observe(transaction))
        assert _same(batch[index], tuple(everything.values()))
        assert _same(picked[index], (everything["hour"], everything["log_amount"]))
    with pytest.raises(IndexError):
        picked[50]
