"""The stored records, one module per concept; all of them importable
from here, as Django and the rest of the code expect."""

from .alerts import AlertDelivery
from .base import user_reference
from .dead_letters import DeadLetter
from .review import ReviewEvent
from .rules import AccountListEntry, Backtest, Rule, RuleFiresDay, RuleVersion
from .scoring import ModelDrift, ModelTraining, ModelVersion
from .transactions import ReviewStatus, Transaction
from .typologies import FindingEvent, Typology, TypologyFinding

__all__ = [
    "AccountListEntry",
    "AlertDelivery",
    "Backtest",
    "DeadLetter",
    "FindingEvent",
    "ModelDrift",
    "ModelTraining",
    "ModelVersion",
    "ReviewEvent",
    "ReviewStatus",
    "Rule",
    "RuleFiresDay",
    "RuleVersion",
    "Transaction",
    "Typology",
    "TypologyFinding",
    "user_reference",
]
