"""What the detector loop is given, as plain interfaces: the topics it
reads and writes, and the detection side (``Detection``; its Django
adapter, with rules from the database, is ``rules.runtime.LiveDetection``;
``EngineDetection`` is a fixed engine for tests, benchmarks and
evaluation)."""

from dataclasses import dataclass
from typing import Protocol

from ..detection import ReceivedPayment, Transaction
from ..detection.batches import JudgedBatch


@dataclass(frozen=True, slots=True)
class DetectorTopics:
    """The topics a detector reads and writes; ``receivers`` is the shared
    receivers' topic (``receivers``), None when receivers are not shared."""

    transactions: str
    legit: str
    fraud: str
    deadletter: str
    receivers: str | None = None


class Detection(Protocol):
    """What the loop needs of the detection side.

    ``prepare`` is given each batch's ``(transaction, partition)`` pairs
    before they are judged (it may load the state of accounts it does not
    know yet, in one go); ``judge_batch`` judges them, in order (each
    read from partition ``shard``), and returns a ``detection.JudgedBatch``
    whose ``verdicts`` (one model call for the batch) the writer's thread
    asks for; ``partitions_assigned`` / ``partitions_revoked``
    let it restore or drop per-account state; ``refresh`` is called once
    per loop iteration and must be cheap (it may reload changed rules).
    With shared receivers, ``receive`` records the payments the other
    detectors (and this one) recorded, before a batch is judged, and
    ``received`` hands over the payments this one recorded since the last
    call, to produce with the batch.
    """

    def prepare(self, batch: list[tuple[Transaction, int]]) -> None: ...

    def receive(self, payments: list[ReceivedPayment]) -> None: ...

    def received(self) -> list[ReceivedPayment]: ...

    def judge_batch(self, batch: list[tuple[Transaction, int]]) -> JudgedBatch: ...

    def partitions_assigned(self, partitions: list[int]) -> None: ...

    def partitions_revoked(self, partitions: list[int]) -> None: ...

    def refresh(self) -> None: ...


class EngineDetection:
    """A fixed engine, no database: for tests, benchmarks and evaluation."""

    def __init__(self, engine) -> None:
        self.engine = engine

    def prepare(self, batch: list[tuple[Transaction, int]]) -> None:
        pass

    def receive(self, payments: list[ReceivedPayment]) -> None:
        self.engine.receive(payments)

    def received(self) -> list[ReceivedPayment]:
        return self.engine.received()

    def judge_batch(self, batch: list[tuple[Transaction, int]]) -> JudgedBatch:
        return self.engine.judge_batch(batch)

    def partitions_assigned(self, partitions: list[int]) -> None:
        pass

    def partitions_revoked(self, partitions: list[int]) -> None:
        self.engine.forget(partitions)

    def refresh(self) -> None:
        pass
