"""A merchant category, channel, country, device or IP address new for
this payer."""

import pytest

from tests.detection.context import engine, run, tx
from transactions_app.detection import RuleConfigError, UnusualAttributeRule
from transactions_app.detection.baselines import ATTRIBUTE_VALUES

RULE = UnusualAttributeRule(
    name="new_category", field="merchant_category", min_history=10, weight=20
)
DAY = 86400
GROCERIES = [
    tx("40.00", t=d * DAY, merchant_category="grocery_pos", target=f"shop{d % 3}")
    for d in range(8)
] + [tx("30.00", t=(8 + d) * DAY, merchant_category="gas_transport") for d in range(4)]


def later(amount="45.00", **enrichment):
    return tx(amount, t=30 * DAY, **enrichment)


def test_fires_on_a_category_the_payer_never_used_and_says_which_it_uses():
    reason = run(RULE, GROCERIES, later(merchant_category="shopping_net"))
    assert reason.observed == (
        "merchant category shopping_net is new for this payer: its 12 earlier "
        "payments with one used grocery_pos, gas_transport"
    )
    assert reason.threshold == "a merchant category not used before, after 10"
    assert reason.score == 20


def test_a_category_used_before_is_usual():
    assert run(RULE, GROCERIES, later(merchant_category="gas_transport")) is None


def test_not_before_the_minimum_history_of_payments_with_the_field():
    """Payments without the field do not count towards the history."""
    plain = [tx("40.00", t=d) for d in range(30)]
    history = plain + GROCERIES[:9]
    assert run(RULE, history, later(merchant_category="shopping_net")) is None
    assert (
        run(RULE, history + GROCERIES[9:10], later(merchant_category="x")) is not None
    )


def test_a_transaction_without_the_field_is_left_alone():
    assert run(RULE, GROCERIES, later()) is None
    assert run(RULE, [], later(merchant_category="shopping_net")) is None


def test_with_an_amount_factor_only_an_outsized_amount_counts():
    rule = UnusualAttributeRule(
        name="r", field="merchant_category", min_amount_factor=3, weight=20
    )
    assert run(rule, GROCERIES, later("110.00", merchant_category="travel")) is None
    reason = run(rule, GROCERIES, later("120.00", merchant_category="travel"))
    assert reason.observed.endswith("; 120.00 is 3.0x its median")
    assert reason.threshold.endswith(", for >= 3x the median")


@pytest.mark.parametrize(
    ("field", "value", "name"),
    [
        ("channel", "online", "channel"),
        ("country", "BR", "country"),
        ("device_id", "device-new", "device"),
        ("ip", "203.0.113.9", "IP address"),
    ],
)
def test_every_enrichment_field_can_be_watched(field, value, name):
    usual = {
        "channel": "card_present",
        "country": "DE",
        "device_id": "d1",
        "ip": "192.0.2.1",
    }
    history = [tx(t=d * DAY, **{field: usual[field]}) for d in range(10)]
    rule = UnusualAttributeRule(name="r", field=field, weight=5)
    reason = run(rule, history, later(**{field: value}))
    assert reason.observed.startswith(f"{name} {value} is new for this payer")
    assert run(rule, history, later(**{field: usual[field]})) is None


def test_a_payer_using_as_many_values_as_are_remembered_is_not_flagged_for_one_more():
    """A rotating IP address: every value is new, so none is unusual."""
    rule = UnusualAttributeRule(name="r", field="ip", weight=5)
    rotating = [tx(t=i, ip=f"192.0.2.{i}") for i in range(ATTRIBUTE_VALUES)]
    assert run(rule, rotating, later(ip="198.51.100.1")) is None
    assert run(rule, rotating[:-1], later(ip="198.51.100.1")) is not None


def test_the_remembered_values_stay_bounded_and_forget_the_least_recent():
    rule = UnusualAttributeRule(name="r", field="device_id", min_history=1, weight=5)
    many = [tx(t=i, device_id=f"d{i}") for i in range(ATTRIBUTE_VALUES + 5)]
    classifier = engine(rule)
    for past in many:
        classifier.classify(past)
    profile = classifier.state.source("S1").attributes
    assert len(profile.known("device_id")) == ATTRIBUTE_VALUES
    assert profile.uses("device_id", "d0") == 0
    assert profile.uses("device_id", f"d{ATTRIBUTE_VALUES + 4}") == 1


def test_a_redelivered_transaction_counts_once():
    rule = UnusualAttributeRule(name="r", field="country", min_history=1, weight=5)
    classifier = engine(rule)
    first = tx(t=0, country="DE")
    classifier.classify(first)
    classifier.classify(first)
    assert classifier.state.source("S1").attributes.payments("country") == 1
    assert classifier.classify(tx(t=1, country="FR")).reasons


def test_tutorial_format_traffic_builds_no_attribute_profile():
    classifier = engine(RULE)
    classifier.classify(tx())
    assert classifier.state.source("S1").attributes is None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"field": "colour"}, "field must be one of merchant_category, channel"),
        ({"field": "channel", "min_history": 0}, "min_history must be a whole number"),
        ({"field": "channel", "min_amount_factor": 0}, "min_amount_factor must be"),
    ],
)
def test_configurations_that_cannot_work_are_refused(params, message):
    with pytest.raises(RuleConfigError, match=message):
        UnusualAttributeRule(name="r", weight=1, **params)


def test_only_the_fields_rules_read_are_kept():
    """Profiles cost memory and time per payment: a field no rule in force
    reads is not kept."""
    watching_country = UnusualAttributeRule(name="r", field="country", weight=5)
    classifier = engine(watching_country)
    classifier.classify(tx(country="DE", merchant_category="grocery_pos"))
    profile = classifier.state.source("S1").attributes
    assert profile.payments("country") == 1
    assert profile.payments("merchant_category") == 0
