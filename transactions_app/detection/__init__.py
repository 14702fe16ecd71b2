"""The detection engine: plain values in, a verdict with reasons out.

This package imports neither Django nor Kafka. It is fed immutable
``Transaction`` values and a clock, and answers with a ``Verdict``. It is the
easiest place to read what the product decides and why.
"""

from .engine import Engine, OutcomeBands, RuleSet, default_engine, original_rule
from .rules import (
    RULE_TYPES,
    AccountListRule,
    AmountAnomalyRule,
    AmountBaselineRule,
    AmountSpreeRule,
    AmountThresholdRule,
    CardTestingRule,
    CurrencyAllowListRule,
    FanInRule,
    NewCounterpartyRule,
    NewReceiverRule,
    Rule,
    RuleConfigError,
    SumInWindowRule,
    UnusualAttributeRule,
    UnusualHourRule,
    VelocityBaselineRule,
    VelocityRule,
    build_rule,
    rule_parameters,
)
from .state import (
    PayerHistory,
    ReceivedPayment,
    ReceiverHistory,
    StateLimits,
    WindowState,
)
from .types import (
    ACCOUNT_PATTERN,
    CHANNELS,
    ENRICHMENT_FIELDS,
    Outcome,
    Reason,
    Transaction,
    Verdict,
)

__all__ = [
    "ACCOUNT_PATTERN",
    "CHANNELS",
    "ENRICHMENT_FIELDS",
    "RULE_TYPES",
    "AccountListRule",
    "AmountAnomalyRule",
    "AmountBaselineRule",
    "AmountSpreeRule",
    "AmountThresholdRule",
    "CardTestingRule",
    "CurrencyAllowListRule",
    "Engine",
    "FanInRule",
    "NewCounterpartyRule",
    "NewReceiverRule",
    "Outcome",
    "OutcomeBands",
    "PayerHistory",
    "Reason",
    "ReceivedPayment",
    "ReceiverHistory",
    "Rule",
    "RuleConfigError",
    "RuleSet",
    "StateLimits",
    "SumInWindowRule",
    "Transaction",
    "UnusualAttributeRule",
    "UnusualHourRule",
    "Verdict",
    "VelocityBaselineRule",
    "VelocityRule",
    "WindowState",
    "build_rule",
    "default_engine",
    "original_rule",
    "rule_parameters",
]
