"""The default rule set: the rules that follow each payer's own history
judge a stream the same whatever the scale of its amounts, so a user whose
amounts are hundreds of times larger (another currency unit, a bank's
transfers) is not flagged wholesale by them."""

from dataclasses import replace
from datetime import UTC, datetime

from transactions_app.detection import Engine, RuleSet
from transactions_app.rules.defaults import default_rules
from transactions_app.simulation.realistic import RealisticProfile

# The defaults whose thresholds are fixed amounts (the tutorial's rule, a
# sum per hour, what counts as a tiny card-testing payment): by design not
# scale-free, and left out of this comparison.
FIXED_AMOUNTS = {"amount_threshold", "sum_in_window", "card_testing"}
SCALE = 650


def stream(count: int = 12_000):
    profile = RealisticProfile(
        seed=3, start=datetime(2026, 1, 1, tzinfo=UTC), fraud_share=0.05
    )
    return [profile().transaction for _ in range(count)]


def flagged(transactions) -> set:
    rules = tuple(r for r in default_rules() if r.name not in FIXED_AMOUNTS)
    engine = Engine(RuleSet(rules=rules), clock=lambda: datetime.now(UTC))
    return {tx.transaction_id for tx in transactions if engine.classify(tx).is_flagged}


def test_relative_rules_flag_the_same_transactions_at_650_times_the_amounts():
    original = stream()
    scaled = [replace(tx, amount=tx.amount * SCALE) for tx in original]
    at_scale = flagged(original)
    assert len(at_scale) > 100  # the comparison is about something
    assert flagged(scaled) == at_scale
