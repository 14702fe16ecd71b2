"""Rule types. A rule looks at a transaction in its context and either
fires, returning a ``Reason``, or stays silent.

Every rule type is a frozen dataclass whose fields are its parameters, plus
the fields every rule has: ``name``, ``version``, ``weight`` (the score it
adds when it fires) and ``force`` (an outcome it imposes, or None). Bad
parameters raise ``RuleConfigError`` at construction, so a rule that cannot
work never reaches a running engine.

Windows are in seconds and half-open: a window of ``w`` seconds for a
transaction at time ``t`` covers ``t - w < time <= t``; transactions at the
same instant are inside it. The transaction being classified counts in its
own window.
"""

from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal, InvalidOperation
from operator import itemgetter

from .state import SourceState, TargetState
from .types import Outcome, Reason, Transaction

_AMOUNT = itemgetter(1)


class RuleConfigError(ValueError):
    """A rule's configuration cannot work; the message says which part."""


@dataclass(slots=True)
class Context:
    """What a rule may look at: the transaction, its time and amount as
    plain numbers, the source's and target's state before this transaction,
    the account lists, and the current time."""

    transaction: Transaction
    time: float
    amount: float
    source: SourceState | None
    target: TargetState | None
    lists: dict[str, frozenset[str]]
    now: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """Fields shared by every rule type."""

    kind = ""
    window_param = None

    name: str
    version: int = 1
    weight: int = 0
    force: Outcome | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            raise RuleConfigError("a rule needs a name")
        _require(
            isinstance(self.weight, int) and self.weight >= 0,
            "weight must be a whole number of at least 0",
        )
        if self.force is not None and not isinstance(self.force, Outcome):
            raise RuleConfigError(f"force must be one of {[o.value for o in Outcome]}")
        if self.weight == 0 and self.force is None:
            raise RuleConfigError("a rule needs a weight above 0 or a forced outcome")

    @property
    def window(self) -> float:
        """The longest window this rule looks back over, in seconds."""
        return 0.0

    def evaluate(self, context: Context) -> Reason | None:
        raise NotImplementedError

    def _reason(self, observed: str, threshold: str, window: float | None = None):
        return Reason(
            rule=self.name,
            version=self.version,
            observed=observed,
            threshold=threshold,
            score=self.weight,
            window=int(window) if window is not None else None,
            description=self.description,
            force=self.force,
        )


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise RuleConfigError(message)


def _positive_window(seconds) -> None:
    _require(
        isinstance(seconds, int | float)
        and not isinstance(seconds, bool)
        and 0 < seconds <= 31 * 86400,
        "window must be a number of seconds between 1 and 31 days",
    )


def _positive_count(value, name: str) -> None:
    _require(
        isinstance(value, int) and not isinstance(value, bool) and value >= 1,
        f"{name} must be a whole number of at least 1",
    )


def _positive_amount(value, name: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise RuleConfigError(f"{name} must be an amount, got {value!r}") from None
    _require(amount.is_finite() and amount > 0, f"{name} must be a positive amount")
    return amount


def _money(value: float) -> str:
    return f"{value:.2f}"


@dataclass(frozen=True, slots=True, kw_only=True)
class AmountThresholdRule(Rule):
    """Fires when one transaction's amount is at least ``threshold`` in
    ``currency``. The original tutorial rule is ``amount >= 900`` EUR."""

    kind = "amount_threshold"

    threshold: Decimal = Decimal("900")
    currency: str = "EUR"

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        object.__setattr__(
            self, "threshold", _positive_amount(self.threshold, "threshold")
        )
        _require(
            len(self.currency) == 3 and self.currency.isupper(),
            "currency must be three capital letters",
        )

    def evaluate(self, context: Context) -> Reason | None:
        tx = context.transaction
        if tx.currency != self.currency or tx.amount < self.threshold:
            return None
        return self._reason(
            f"{tx.amount} {tx.currency}", f">= {self.threshold} {self.currency}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class VelocityRule(Rule):
    """Fires when one source sent more than ``max_count`` transactions
    within ``window`` seconds."""

    kind = "velocity"

    max_count: int
    window_seconds: float

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        _positive_count(self.max_count, "max_count")
        _positive_window(self.window_seconds)

    @property
    def window(self) -> float:
        return float(self.window_seconds)

    def evaluate(self, context: Context) -> Reason | None:
        count = 1
        if context.source is not None:
            start = context.time - self.window_seconds
            count += len(context.source.window(start, context.time))
        if count <= self.max_count:
            return None
        return self._reason(
            f"{count} transactions", f"> {self.max_count}", self.window_seconds
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SumInWindowRule(Rule):
    """Fires when the total one source sent within ``window`` seconds is
    above ``max_total`` (amounts added as numbers, whatever the currency)."""

    kind = "sum_in_window"

    max_total: Decimal
    window_seconds: float

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        object.__setattr__(
            self, "max_total", _positive_amount(self.max_total, "max_total")
        )
        _positive_window(self.window_seconds)

    @property
    def window(self) -> float:
        return float(self.window_seconds)

    def evaluate(self, context: Context) -> Reason | None:
        total = context.amount
        if context.source is not None:
            start = context.time - self.window_seconds
            total += sum(map(_AMOUNT, context.source.window(start, context.time)))
        if total <= float(self.max_total):
            return None
        return self._reason(_money(total), f"> {self.max_total}", self.window_seconds)


@dataclass(frozen=True, slots=True, kw_only=True)
class CardTestingRule(Rule):
    """Fires when one source sent at least ``min_count`` small transactions
    (amount below ``small_amount``) within ``window`` seconds: the pattern
    of testing stolen card details with tiny payments."""

    kind = "card_testing"

    small_amount: Decimal
    min_count: int
    window_seconds: float

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        object.__setattr__(
            self, "small_amount", _positive_amount(self.small_amount, "small_amount")
        )
        _positive_count(self.min_count, "min_count")
        _positive_window(self.window_seconds)

    @property
    def window(self) -> float:
        return float(self.window_seconds)

    def evaluate(self, context: Context) -> Reason | None:
        small = float(self.small_amount)
        count = 1 if context.amount < small else 0
        if context.source is not None:
            start = context.time - self.window_seconds
            window = context.source.window(start, context.time)
            if len(window) + count < self.min_count:
                return None  # too few transactions at all: skip the count
            count += sum(e[1] < small for e in window)
        if count < self.min_count:
            return None
        return self._reason(
            f"{count} transactions below {self.small_amount}",
            f">= {self.min_count}",
            self.window_seconds,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class NewCounterpartyRule(Rule):
    """Fires on the first transfer from a source to a target when the amount
    is at least ``min_amount`` and the source has at least ``min_history``
    earlier transactions (an established account suddenly paying someone
    new a lot: the account-takeover pattern)."""

    kind = "new_counterparty"

    min_amount: Decimal
    min_history: int = 1

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        object.__setattr__(
            self, "min_amount", _positive_amount(self.min_amount, "min_amount")
        )
        _positive_count(self.min_history, "min_history")

    def evaluate(self, context: Context) -> Reason | None:
        source = context.source
        if source is None or source.count < self.min_history:
            return None
        tx = context.transaction
        if tx.target in source.counterparties or tx.amount < self.min_amount:
            return None
        return self._reason(
            f"first transfer to {tx.target}: {tx.amount}",
            f">= {self.min_amount} after {self.min_history} transactions",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FanInRule(Rule):
    """Fires when a target received from at least ``min_sources`` distinct
    sources within ``window`` seconds: the money-mule pattern. With
    ``new_senders_only`` only sources paying the target for the first time
    count, so a popular shop paid by its regulars does not look like a
    mule."""

    kind = "fan_in"

    min_sources: int
    window_seconds: float
    new_senders_only: bool = False

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        _positive_count(self.min_sources, "min_sources")
        _require(self.min_sources >= 2, "min_sources must be at least 2")
        _positive_window(self.window_seconds)

    @property
    def window(self) -> float:
        return float(self.window_seconds)

    def evaluate(self, context: Context) -> Reason | None:
        if context.target is None:
            return None
        start = context.time - self.window_seconds
        window = context.target.window(start, context.time)
        if len(window) + 1 < self.min_sources:
            return None  # too few payments at all: skip the distinct count
        senders = {e[1] for e in window if e[3] or not self.new_senders_only}
        tx = context.transaction
        source = context.source
        first = source is None or tx.target not in source.counterparties
        if first or not self.new_senders_only:
            senders.add(tx.source)
        if len(senders) < self.min_sources:
            return None
        which = "new " if self.new_senders_only else ""
        return self._reason(
            f"{len(senders)} distinct {which}sources",
            f">= {self.min_sources}",
            self.window_seconds,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AmountAnomalyRule(Rule):
    """Fires when an amount is at least ``factor`` times the source's
    typical amount (the median of its recent amounts), once the source has
    at least ``min_history`` earlier transactions."""

    kind = "amount_anomaly"

    factor: float
    min_history: int = 5

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        _require(
            isinstance(self.factor, int | float)
            and not isinstance(self.factor, bool)
            and self.factor > 1,
            "factor must be a number above 1",
        )
        _positive_count(self.min_history, "min_history")

    def evaluate(self, context: Context) -> Reason | None:
        source = context.source
        if source is None or len(source.amounts) < self.min_history:
            return None
        if context.amount < self.factor * min(source.amounts):
            return None  # below factor x the smallest, so below factor x median
        typical = source.typical_amount()
        if context.amount < self.factor * typical:
            return None
        return self._reason(
            f"{context.amount / typical:.1f} x typical {_money(typical)}",
            f">= {self.factor} x",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountListRule(Rule):
    """Fires when the source or the target is on the account list named
    ``list_name`` (e.g. ``block`` or ``watch``)."""

    kind = "account_list"

    list_name: str

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        _require(bool(self.list_name), "list_name is required")

    def evaluate(self, context: Context) -> Reason | None:
        listed = context.lists.get(self.list_name)
        tx = context.transaction
        if not listed or (tx.source not in listed and tx.target not in listed):
            return None
        hits = [
            role
            for role, account in (("source", tx.source), ("target", tx.target))
            if account in listed
        ]
        return self._reason(
            f"{' and '.join(hits)} on the {self.list_name} list",
            f"{self.list_name} list",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CurrencyAllowListRule(Rule):
    """Fires when the currency is not one of ``currencies``."""

    kind = "currency_allow_list"

    currencies: frozenset[str] = field(default_factory=lambda: frozenset({"EUR"}))

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        _require(not isinstance(self.currencies, str), "currencies must be a list")
        currencies = frozenset(self.currencies)
        _require(bool(currencies), "currencies must not be empty")
        _require(
            all(isinstance(c, str) and len(c) == 3 and c.isupper() for c in currencies),
            "currencies must be three capital letters each",
        )
        object.__setattr__(self, "currencies", currencies)

    def evaluate(self, context: Context) -> Reason | None:
        currency = context.transaction.currency
        if currency in self.currencies:
            return None
        return self._reason(currency, f"one of {', '.join(sorted(self.currencies))}")


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
