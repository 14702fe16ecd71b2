"""Rule types. A rule looks at a transaction in its context and either
fires, returning a ``Reason``, or stays silent.

One module per rule type, on the bases in ``base`` (``Rule``, and
``WindowedRule`` for rules over an account's recent transactions); the
registry (``RULE_TYPES``, ``build_rule``) in ``registry``. To add a rule
type: a module here with a frozen dataclass whose fields are its
parameters, its ``kind`` and its ``evaluate``; then its entry in
``RULE_TYPES`` and a test module in ``tests/detection/``.
"""

from .account_list import AccountListRule
from .amount_anomaly import AmountAnomalyRule
from .amount_baseline import AmountBaselineRule
from .amount_spree import AmountSpreeRule
from .amount_threshold import AmountThresholdRule
from .base import Context, Rule, RuleConfigError, WindowedRule
from .card_testing import CardTestingRule
from .currency_allow_list import CurrencyAllowListRule
from .fan_in import FanInRule
from .new_counterparty import NewCounterpartyRule
from .new_receiver import NewReceiverRule
from .registry import (
    COMMON_FIELDS,
    RULE_TYPES,
    build_rule,
    rule_parameters,
    rule_type,
)
from .sum_in_window import SumInWindowRule
from .unusual_attribute import UnusualAttributeRule
from .unusual_hour import UnusualHourRule
from .velocity import VelocityRule
from .velocity_baseline import VelocityBaselineRule

__all__ = [
    "COMMON_FIELDS",
    "RULE_TYPES",
    "AccountListRule",
    "AmountAnomalyRule",
    "AmountBaselineRule",
    "AmountSpreeRule",
    "AmountThresholdRule",
    "CardTestingRule",
    "Context",
    "CurrencyAllowListRule",
    "FanInRule",
    "NewCounterpartyRule",
    "NewReceiverRule",
    "Rule",
    "RuleConfigError",
    "SumInWindowRule",
    "UnusualAttributeRule",
    "UnusualHourRule",
    "VelocityBaselineRule",
    "VelocityRule",
    "WindowedRule",
    "build_rule",
    "rule_parameters",
    "rule_type",
]
