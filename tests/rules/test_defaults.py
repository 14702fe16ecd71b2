"""The default rule set: the rules that follow each payer's own history
judge a stream the same whatever the scale of its amounts, so a user whose
amounts are hundreds of times larger (another currency unit, a bank's
transfers) is not flagged wholesale by them."""

from dataclasses import replace
from datetime import UTC, datetime

from transactions_app.detection import Engine, RuleSet
from transactions_app.rules.defaults import default_rules
from transactions_app.simulation.realistic import RealisticProfile, rate_for_accounts

# The tutorial's rule is a fixed amount by design (900 EUR is 900 EUR).
# ``sum_in_window`` and ``card_testing`` keep a fixed amount too, but only
# beside one relative to the payer's or the currency's scale.
TUTORIAL = {"amount_threshold"}
FLOORED = {"sum_in_window", "card_testing"}
SCALE = 650


def stream(count: int = 12_000, fraud_share: float = 0.05):
    profile = RealisticProfile(
        seed=3,
        start=datetime(2026, 1, 1, tzinfo=UTC),
        rate=rate_for_accounts(3000),  # each person pays twice a day
        fraud_share=fraud_share,
    )
    return [profile().transaction for _ in range(count)]


def flagged(transactions, without=frozenset()) -> set:
    rules = tuple(r for r in default_rules() if r.name not in without)
    engine = Engine(RuleSet(rules=rules), clock=lambda: datetime.now(UTC))
    return {tx.transaction_id for tx in transactions if engine.classify(tx).is_flagged}


def scaled(transactions) -> list:
    return [replace(tx, amount=tx.amount * SCALE) for tx in transactions]


def test_relative_rules_flag_the_same_transactions_at_650_times_the_amounts():
    original = stream()
    at_scale = flagged(original, without=TUTORIAL | FLOORED)
    assert len(at_scale) > 100  # the comparison is about something
    assert flagged(scaled(original), without=TUTORIAL | FLOORED) == at_scale


def test_all_defaults_but_the_tutorials_hardly_flag_more_at_650_times():
    """The rules with an amount floor add at most half a point of honest
    payments flagged when every amount is 650 times larger."""
    honest = stream(fraud_share=0.0)
    at_scale = len(flagged(honest, without=TUTORIAL))
    larger = len(flagged(scaled(honest), without=TUTORIAL))
    assert larger - at_scale <= 0.005 * len(honest)
