"""The detection engine: plain values in, a verdict with reasons out.

This package imports neither Django nor Kafka. It is fed immutable
``Transaction`` values and a clock, and answers with a ``Verdict``. It is the
easiest place to read what the product decides and why.
"""

from .engine import Engine, OutcomeBands, default_engine
from .rules import AmountThresholdRule
from .types import Outcome, Reason, Transaction, Verdict

__all__ = [
    "AmountThresholdRule",
    "Engine",
    "Outcome",
    "OutcomeBands",
    "Reason",
    "Transaction",
    "Verdict",
    "default_engine",
]
