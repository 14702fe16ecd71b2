"""The rule types by name, and building a rule from stored configuration
(the rules admin, the live detector and backtests all build through
``build_rule``)."""

from dataclasses import fields

from ..types import Outcome
from .account_list import AccountListRule
from .amount_anomaly import AmountAnomalyRule
from .amount_baseline import AmountBaselineRule
from .amount_spree import AmountSpreeRule
from .amount_threshold import AmountThresholdRule
from .base import Rule, RuleConfigError
from .card_testing import CardTestingRule
from .currency_allow_list import CurrencyAllowListRule
from .fan_in import FanInRule
from .new_counterparty import NewCounterpartyRule
from .new_receiver import NewReceiverRule
from .sum_in_window import SumInWindowRule
from .unusual_attribute import UnusualAttributeRule
from .unusual_hour import UnusualHourRule
from .velocity import VelocityRule
from .velocity_baseline import VelocityBaselineRule

RULE_TYPES: dict[str, type[Rule]] = {
    rule_type.kind: rule_type
    for rule_type in (
        AmountThresholdRule,
        VelocityRule,
        SumInWindowRule,
        CardTestingRule,
        NewCounterpartyRule,
        FanInRule,
        AmountAnomalyRule,
        AccountListRule,
        CurrencyAllowListRule,
        AmountBaselineRule,
        AmountSpreeRule,
        UnusualHourRule,
        NewReceiverRule,
        VelocityBaselineRule,
        UnusualAttributeRule,
    )
}
COMMON_FIELDS = {"name", "version", "weight", "force", "description"}


def rule_parameters(kind: str) -> list[str]:
    """The parameter names of a rule type (without the common fields)."""
    return [f.name for f in fields(rule_type(kind)) if f.name not in COMMON_FIELDS]


def rule_type(kind: str) -> type[Rule]:
    try:
        return RULE_TYPES[kind]
    except KeyError:
        raise RuleConfigError(
            f"unknown rule type {kind!r}; known: {', '.join(sorted(RULE_TYPES))}"
        ) from None


def build_rule(
    *,
    kind: str,
    name: str,
    version: int,
    params: dict,
    weight: int,
    force: str | None = None,
    description: str = "",
) -> Rule:
    """Build a rule from stored configuration; raise ``RuleConfigError``
    naming the problem (unknown type, missing or unknown parameter, bad
    value)."""
    cls = rule_type(kind)
    if not isinstance(params, dict):
        raise RuleConfigError("parameters must be a JSON object")
    allowed = set(rule_parameters(kind))
    unknown = set(params) - allowed
    if unknown:
        raise RuleConfigError(
            f"unknown parameter(s) for {kind}: {', '.join(sorted(unknown))}; "
            f"expected: {', '.join(sorted(allowed))}"
        )
    try:
        forced = Outcome(force) if force else None
    except ValueError:
        raise RuleConfigError(
            f"force must be one of {[o.value for o in Outcome]}"
        ) from None
    try:
        return cls(
            name=name,
            version=version,
            weight=weight,
            force=forced,
            description=description,
            **params,
        )
    except TypeError as error:
        raise RuleConfigError(_missing_parameter_message(kind, error)) from None


def _missing_parameter_message(kind: str, error: TypeError) -> str:
    text = str(error)
    if "missing" in text:
        names = text.split(":", 1)[-1].strip().replace("'", "")
        return f"missing parameter(s) for {kind}: {names}"
    return f"bad parameters for {kind}: {text}"
