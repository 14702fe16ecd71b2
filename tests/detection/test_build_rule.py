"""Building rules from stored configuration: every mistake is named."""

import pytest

from transactions_app.detection import RULE_TYPES, RuleConfigError, build_rule
from transactions_app.detection.rules import rule_parameters


def build(kind="velocity", params=None, **extra):
    params = {"max_count": 3, "window_seconds": 60} if params is None else params
    return build_rule(
        kind=kind,
        name="r",
        version=2,
        params=params,
        weight=extra.pop("weight", 10),
        **extra,
    )


def test_a_valid_configuration_builds_the_rule_type():
    rule = build(force="review")
    assert rule.kind == "velocity"
    assert (rule.max_count, rule.window, rule.version, rule.force.value) == (
        3,
        60.0,
        2,
        "review",
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "teleport"}, "unknown rule type 'teleport'"),
        (
            {"params": {"max_count": 3}},
            "missing parameter(s) for velocity: window_seconds",
        ),
        (
            {"params": {"max_count": 3, "window_seconds": 6, "speed": 1}},
            "unknown parameter(s) for velocity: speed",
        ),
        ({"params": {"max_count": 3, "window_seconds": -6}}, "window must be"),
        ({"params": [1, 2]}, "parameters must be a JSON object"),
        ({"force": "maybe"}, "force must be one of"),
    ],
)
def test_bad_configurations_are_refused_with_a_reason(kwargs, message):
    with pytest.raises(RuleConfigError) as error:
        build(**kwargs)
    assert message in str(error.value)


def test_every_rule_type_lists_its_parameters():
    assert rule_parameters("fan_in") == [
        "min_sources",
        "window_seconds",
        "new_senders_only",
        "established_after_seconds",
        "jump_factor",
    ]
    assert set(RULE_TYPES) == {
        "amount_threshold",
        "velocity",
        "sum_in_window",
        "card_testing",
        "new_counterparty",
        "fan_in",
        "amount_anomaly",
        "account_list",
        "currency_allow_list",
        "amount_baseline",
        "amount_spree",
        "unusual_hour",
        "new_receiver",
        "velocity_baseline",
        "unusual_attribute",
    }
