"""The values the detection engine takes and gives."""

import enum
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

# What an account id may be: 1-64 letters, digits and ``_ . : -``, not
# starting with punctuation. The wire format checks it, and so do the
# account lists, so that a listed account can match a transaction.
ACCOUNT_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.:-]{0,63}")


# The optional fields a message may carry beyond the tutorial's four and
# the id and time: what was bought (a merchant category code or name), how
# it was paid (``CHANNELS``), the ISO 3166 country, the payer's device and
# IP address. Rules may use them; a message without them is classified by
# the rest.
ENRICHMENT_FIELDS = ("merchant_category", "channel", "country", "device_id", "ip")
CHANNELS = (
    "card_present",
    "online",
    "contactless",
    "atm",
    "transfer",
    "direct_debit",
    "cash_in",
    "cash_out",
    "wallet",
)


class Outcome(enum.StrEnum):
    """What the platform concludes about a transaction.

    ``review`` and ``fraud`` are both *flagged*: they are routed to the fraud
    topic and listed for analysts.
    """

    LEGIT = "legit"
    REVIEW = "review"
    FRAUD = "fraud"

    @property
    def is_flagged(self) -> bool:
        return self is not Outcome.LEGIT


@dataclass(frozen=True, slots=True)
class Transaction:
    """A validated payment transaction, as the engine sees it.

    ``timestamp`` is the event time (timezone-aware, UTC) and is the only
    notion of time the rules use.
    """

    transaction_id: uuid.UUID
    source: str
    target: str
    amount: Decimal
    currency: str
    timestamp: datetime
    # The optional enrichment fields (``ENRICHMENT_FIELDS``): None when the
    # producer did not send them, as in the tutorial's format.
    merchant_category: str | None = None
    channel: str | None = None
    country: str | None = None
    device_id: str | None = None
    ip: str | None = None

    def attributes(self) -> tuple[tuple[str, str], ...]:
        """The enrichment fields this transaction carries, as ``(field,
        value)`` pairs: empty for a message in the tutorial's format."""
        return tuple(
            (name, value)
            for name in ENRICHMENT_FIELDS
            if (value := getattr(self, name)) is not None
        )


@dataclass(frozen=True, slots=True)
class Reason:
    """Why one rule fired: what it observed against which threshold.

    ``window`` is the length of the time window the observation covers, in
    seconds, or ``None`` for rules that look at one transaction only.
    """

    rule: str
    version: int
    observed: str
    threshold: str
    score: int
    window: int | None = None
    description: str = ""
    force: "Outcome | None" = None

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "version": self.version,
            "observed": self.observed,
            "threshold": self.threshold,
            "score": self.score,
            "window": self.window,
            "description": self.description,
            "force": self.force.value if self.force else None,
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    """The engine's answer: the outcome, its score, every reason, and the
    version of each rule that was in force; with a model in force, its
    probability of fraud (whether or not it fired), and with a candidate
    model scoring in shadow, that model's version and probability, which
    enter neither the score nor the outcome."""

    outcome: Outcome
    score: int
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    rule_versions: dict[str, int] = field(default_factory=dict)
    probability: float | None = None
    shadow_version: int | None = None
    shadow_probability: float | None = None

    @property
    def is_flagged(self) -> bool:
        return self.outcome.is_flagged
