"""What the detector loop is given, as plain interfaces: the topics it
reads and writes, and the detection side (``Detection``; its Django
adapter, with rules from the database, is ``rules.runtime.LiveDetection``;
``EngineDetection`` is a fixed engine for tests, benchmarks and
evaluation)."""

from dataclasses import dataclass
from typing import Protocol

from ..detection import Transaction, Verdict


@dataclass(frozen=True, slots=True)
class DetectorTopics:
    transactions: str
    legit: str
    fraud: str
    deadletter: str


class Detection(Protocol):
    """What the loop needs of the detection side.

    ``prepare`` is given each batch's ``(transaction, partition)`` pairs
    before they are judged (it may load the state of accounts it does not
    know yet, in one go); ``classify`` judges one transaction read from
    partition ``shard``; ``partitions_assigned`` / ``partitions_revoked``
    let it restore or drop per-account state; ``refresh`` is called once
    per loop iteration and must be cheap (it may reload changed rules).
    """

    def prepare(self, batch: list[tuple[Transaction, int]]) -> None: ...

    def classify(self, transaction: Transaction, *, shard: int) -> Verdict: ...

    def partitions_assigned(self, partitions: list[int]) -> None: ...

    def partitions_revoked(self, partitions: list[int]) -> None: ...

    def refresh(self) -> None: ...


class EngineDetection:
    """A fixed engine, no database: for tests, benchmarks and evaluation."""

    def __init__(self, engine) -> None:
        self.engine = engine

    def prepare(self, batch: list[tuple[Transaction, int]]) -> None:
        pass

    def classify(self, transaction: Transaction, *, shard: int) -> Verdict:
        return self.engine.classify(transaction, shard=shard)

    def partitions_assigned(self, partitions: list[int]) -> None:
        pass

    def partitions_revoked(self, partitions: list[int]) -> None:
        self.engine.forget(partitions)

    def refresh(self) -> None:
        pass
