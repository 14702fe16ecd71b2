"""What every rule type is made of: the ``Context`` a rule looks at, the
``Rule`` base with the fields every rule has, ``WindowedRule`` for rules
over an account's recent transactions, and the checks that turn a bad
parameter into a ``RuleConfigError`` naming it.

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

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from ..baselines import PopulationBaseline
from ..state import SourceState, TargetState
from ..types import Outcome, Reason, Transaction

# The longest window a rule may look back over.
MAX_WINDOW_SECONDS = 31 * 86400
# The account list of receivers known to be merchants or otherwise trusted
# (admin → Account lists, or ``manage.py importaccounts``): the rules for
# newly active receivers and mules leave them alone.
KNOWN_MERCHANTS = "merchant"


def known_merchant(context: "Context") -> bool:
    """Whether the transaction's receiver is on the merchant list."""
    merchants = context.lists.get(KNOWN_MERCHANTS)
    return merchants is not None and context.transaction.target in merchants


class RuleConfigError(ValueError):
    """A rule's configuration cannot work; the message says which part."""


@dataclass(slots=True)
class Context:
    """What a rule may look at: the transaction, its time, amount and hour
    of day (UTC) as plain numbers, the source's and target's state and the
    baselines of all accounts in its currency before this transaction, the
    account lists, and the current time."""

    transaction: Transaction
    time: float
    amount: float
    source: SourceState | None
    target: TargetState | None
    lists: dict[str, frozenset[str]]
    now: datetime
    hour: int = 0
    population: PopulationBaseline | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """Fields shared by every rule type."""

    kind = ""  # the type's name in stored configuration

    name: str
    version: int = 1
    weight: int = 0
    force: Outcome | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            raise RuleConfigError("a rule needs a name")
        require(
            isinstance(self.weight, int) and self.weight >= 0,
            "weight must be a whole number of at least 0",
        )
        if self.force is not None and not isinstance(self.force, Outcome):
            raise RuleConfigError(f"force must be one of {[o.value for o in Outcome]}")
        if self.weight == 0 and self.force is None:
            raise RuleConfigError("a rule needs a weight above 0 or a forced outcome")

    @property
    def window(self) -> float:
        """The longest window this rule looks back over a source account's
        transactions, in seconds (how long the state keeps them)."""
        return 0.0

    @property
    def target_window(self) -> float:
        """The same over a target account's payments received."""
        return 0.0

    @property
    def attribute_fields(self) -> tuple[str, ...]:
        """The enrichment fields whose values this rule reads from the
        payers' attribute profiles (the state keeps only those)."""
        return ()

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


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowedRule(Rule):
    """A rule over one account's transactions within its last
    ``window_seconds``. Each subclass declares the ``window_seconds`` field
    itself, where it belongs among its parameters (their order is the
    order the rules admin shows them in); this base checks it, reports it
    as the rule's ``window`` and does the window arithmetic."""

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        positive_window(self.window_seconds)

    @property
    def window(self) -> float:
        return float(self.window_seconds)

    def _recent(self, state: SourceState | TargetState | None, context: Context):
        """The entries of ``state`` (a source's or a target's) within the
        window ending at this transaction, which is not among them; none
        for an account not seen before."""
        if state is None:
            return []
        return state.window(context.time - self.window_seconds, context.time)


def require(condition: bool, message: str) -> None:
    """Raise ``RuleConfigError(message)`` unless ``condition``."""
    if not condition:
        raise RuleConfigError(message)


def is_number(value) -> bool:
    """Whether ``value`` is an int or a float (a bool is neither here)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def positive_window(seconds) -> None:
    require(
        isinstance(seconds, int | float)
        and not isinstance(seconds, bool)
        and 0 < seconds <= MAX_WINDOW_SECONDS,
        "window must be a number of seconds between 1 and 31 days",
    )


def positive_count(value, name: str) -> None:
    require(
        isinstance(value, int) and not isinstance(value, bool) and value >= 1,
        f"{name} must be a whole number of at least 1",
    )


def positive_amount(value, name: str) -> Decimal:
    """``value`` as a ``Decimal``; raises unless it is a positive amount."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise RuleConfigError(f"{name} must be an amount, got {value!r}") from None
    require(amount.is_finite() and amount > 0, f"{name} must be a positive amount")
    return amount


def money(value: float) -> str:
    return f"{value:.2f}"
