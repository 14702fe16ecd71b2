"""Synthetic transactions for the producer.

``SeedProfile`` reproduces the original tutorial generator's distributions:
random 12-character account ids of ``[0-9A-Za-z]``, amounts uniform between
1.00 and 10000.00 with two decimals, always EUR. Given the same seed it
yields the same sequence of ids, accounts and amounts.
"""

import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ..detection import Transaction

LABEL_HEADER = "fraud-label"
EPISODE_HEADER = "fraud-episode"


@dataclass(frozen=True, slots=True)
class Labelled:
    """A generated transaction with its ground truth: ``label`` is
    ``legit``, ``warmup`` or a fraud scenario's name (empty for profiles
    without labels); ``episode`` names the scenario instance. The producer
    sends both as Kafka headers, which the detector never reads."""

    transaction: Transaction
    label: str = ""
    episode: str = ""

    def headers(self) -> list[tuple[str, bytes]]:
        if not self.label:
            return []
        return [
            (LABEL_HEADER, self.label.encode()),
            (EPISODE_HEADER, self.episode.encode()),
        ]


ACCOUNT_ALPHABET = string.ascii_letters + string.digits
ACCOUNT_LENGTH = 12


class SeedProfile:
    """The original generator, made reproducible by ``seed``."""

    name = "seed"

    def __init__(self, *, seed: int | None, clock: Callable[[], datetime]) -> None:
        self._random = random.Random(seed)
        self._clock = clock

    def __call__(self) -> Labelled:
        """Return the next synthetic transaction, stamped with the clock
        (unlabelled, like the original)."""
        return Labelled(self._transaction())

    def _transaction(self) -> Transaction:
        return Transaction(
            transaction_id=uuid.UUID(int=self._random.getrandbits(128), version=4),
            source=self._account(),
            target=self._account(),
            amount=Decimal(self._random.randint(100, 1_000_000)).scaleb(-2),
            currency="EUR",
            timestamp=self._clock(),
        )

    def _account(self) -> str:
        return "".join(self._random.choices(ACCOUNT_ALPHABET, k=ACCOUNT_LENGTH))
