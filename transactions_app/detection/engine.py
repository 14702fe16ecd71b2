"""The engine: runs every rule against the windowed state, adds up the
scores, maps the total to an outcome, then records the transaction."""

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from .batches import JudgedBatch
from .features import FeatureRows, FeatureSet, all_features
from .learned import LearnedScore
from .rules import AmountThresholdRule, Context
from .ruleset import OutcomeBands, RuleSet
from .state import (
    PayerHistory,
    ReceivedPayment,
    ReceiverHistory,
    StateLimits,
    WindowState,
    hour_of,
)
from .types import Transaction, Verdict

__all__ = ["Engine", "OutcomeBands", "RuleSet", "default_engine", "original_rule"]

# The reasons of a transaction no rule fired on, while a batch waits for its
# model: one shared empty tuple, not an empty list per transaction kept
# alive until the writer's thread is done with the batch.
NONE_FIRED: tuple = ()


class Engine:
    """Classifies transactions, keeping per-account windowed state.

    ``clock`` gives the current time to rules that need it; windows use the
    transactions' event timestamps only. The state's retention follows the
    longest window of the rules in force.
    """

    def __init__(
        self,
        ruleset: RuleSet,
        *,
        clock: Callable[[], datetime],
        limits: StateLimits | None = None,
        share_receivers: bool = False,
        features: FeatureSet | None = None,
        learned: LearnedScore | None = None,
        shadow: LearnedScore | None = None,
    ) -> None:
        self.clock = clock
        # The model in force beside the rules (``judge_batch``), a
        # candidate scoring in shadow, and the features ``observe`` returns:
        # the state keeps what they look at as well as what the rules do.
        self.learned = learned
        self.shadow = shadow
        self.features = features
        self.state = WindowState(limits, shared=share_receivers)
        # With shared receivers: the payments recorded since ``received``
        # was last called, for the other detectors to record too.
        self._received: list[ReceivedPayment] | None = [] if share_receivers else None
        # What this engine signs the payments it tells with: unique to it,
        # so that it knows its own when they come back.
        self.name = uuid.uuid4().hex
        self._context = Context(None, 0.0, 0.0, None, None, {}, None)
        self.ruleset = ruleset
        self.replace_rules(ruleset)

    def replace_rules(self, ruleset: RuleSet) -> None:
        """Put a new rule set in force from the next transaction on; the
        windowed state is kept."""
        self.ruleset = ruleset
        self._keep_what_is_read()

    def replace_learned(
        self, learned: LearnedScore | None, shadow: LearnedScore | None = None
    ) -> None:
        """Put a model in force and a candidate in shadow (None: none) from
        the next batch on; the windowed state is kept, and from now on it
        also keeps what their features read. Features that look further
        back than the state kept see less history until it has filled."""
        self.learned, self.shadow = learned, shadow
        self._keep_what_is_read()

    def _keep_what_is_read(self) -> None:
        """Size the state for the rules, the models and the features."""
        ruleset = self.ruleset
        fields = set(ruleset.attribute_fields)
        source, target = ruleset.longest_window, ruleset.longest_target_window
        receiver_day = False
        for features in self._feature_sets():
            fields.update(features.attribute_fields)
            source = max(source, features.window)
            target = max(target, features.target_window)
            receiver_day = True
        self._attribute_fields = tuple(sorted(fields))
        limits = self.state.limits
        if (
            source > limits.retention
            or target > limits.target_retention
            or (receiver_day and not limits.receiver_day)
        ):
            self.state.limits = replace(
                limits,
                retention=max(limits.retention, source),
                target_retention=max(limits.target_retention, target),
                idle_ttl=max(limits.idle_ttl, source, target),
                receiver_day=limits.receiver_day or receiver_day,
            )

    def classify(
        self, transaction: Transaction, *, shard: int | None = None
    ) -> Verdict:
        """Return the verdict for ``transaction`` and add it to the state.

        A transaction already in the state (a redelivery) is taken out
        first, so it is judged as the first time and counted once. This
        runs for every transaction, so it avoids allocations: the context
        object is reused (rules keep no reference to it).
        """
        ruleset = self.ruleset
        context = self._judged(transaction)
        reasons = self._fired(ruleset, context)
        self._record_judged(context, shard)
        return ruleset.verdict(reasons)

    def classify_batch(
        self, batch: Sequence[tuple[Transaction, int | None]]
    ) -> list[Verdict]:
        """The verdicts of the ``(transaction, shard)`` pairs of ``batch``,
        in order, as ``classify`` gives them one by one, plus the learned
        score's reason where it fires (``judge_batch``, then its verdicts)."""
        return self.judge_batch(batch).verdicts()

    def judge_batch(self, batch: Sequence[tuple[Transaction, int | None]]):
        """Judge the ``(transaction, shard)`` pairs of ``batch`` by the rules
        and add them to the state, in order; with a model in force (or in
        shadow) take each one's features as it is judged (the state before
        it). What the model makes of them is left to the ``JudgedBatch``'s
        ``verdicts``, one call for the whole batch, which reads nothing of
        the engine: it may run on another thread while the engine judges
        the next batch."""
        learned, shadow = self.learned, self.shadow
        ruleset = self.ruleset
        if learned is None and shadow is None:
            verdicts = [self.classify(t, shard=s) for t, s in batch]
            return JudgedBatch(ruleset, done=verdicts)
        fired, values = [], FeatureRows()
        for transaction, shard in batch:
            context = self._judged(transaction)
            fired.append(self._fired(ruleset, context) or NONE_FIRED)
            values.append(all_features(context))
            self._record_judged(context, shard)
        return JudgedBatch(ruleset, fired, values, learned, shadow)

    def _feature_sets(self) -> list[FeatureSet]:
        """The features the state must serve: the models' and ``observe``'s."""
        models = (self.learned, self.shadow)
        return [m.features for m in models if m is not None] + (
            [self.features] if self.features is not None else []
        )

    def observe(
        self, transaction: Transaction, *, shard: int | None = None
    ) -> tuple[float, ...]:
        """The features of ``transaction`` (``features``, in their order)
        as the state holds them before it, then add it to the state, as
        ``classify`` would: how a labelled history becomes training rows
        that saw only what the detector would have seen."""
        if self.features is None:
            raise ValueError("this engine was made without features")
        context = self._judged(transaction)
        vector = self.features.vector(context)
        self._record_judged(context, shard)
        return vector

    @staticmethod
    def _fired(ruleset: RuleSet, context: Context) -> list:
        """The reasons of the rules in force that fire on ``context``."""
        reasons = []
        for rule in ruleset.rules:
            reason = rule.evaluate(context)
            if reason is not None:
                reasons.append(reason)
        return reasons

    def _judged(self, transaction: Transaction) -> Context:
        """The context the rules (and features) see for ``transaction``:
        the state before it. A transaction already in the state (a
        redelivery) is taken out first, so it is judged as the first time
        and counted once."""
        time = transaction.timestamp.timestamp()
        key = transaction.transaction_id.int
        state = self.state
        source = state.sources.get(transaction.source)
        if source is not None and source.contains(key, time):
            state.discard(
                source=transaction.source,
                target=transaction.target,
                key=key,
                currency=transaction.currency,
                attributes=self._watched(transaction),
            )
        context = self._context
        context.transaction = transaction
        context.time = time
        context.amount = float(transaction.amount)
        context.source = source
        context.target = state.targets.get(transaction.target)
        context.lists = self.ruleset.lists
        context.now = self.clock()
        context.hour = hour_of(time)
        context.population = state.population.get(transaction.currency)
        return context

    def _record_judged(self, context: Context, shard: int | None) -> None:
        """Add the transaction just judged in ``context`` to the state
        (and tell the other detectors of its payment)."""
        transaction, time = context.transaction, context.time
        key = transaction.transaction_id.int
        first_payment = self.state.record(
            source=transaction.source,
            target=transaction.target,
            time=time,
            amount=context.amount,
            key=key,
            shard=shard,
            currency=transaction.currency,
            attributes=self._watched(transaction),
        )
        if self._received is not None:
            self._tell(transaction, time, key, context.amount, first_payment)

    def _watched(self, transaction: Transaction) -> tuple[tuple[str, str], ...]:
        """The enrichment fields of ``transaction`` that rules in force (or
        the features) read: the only ones the payers' attribute profiles
        keep."""
        fields = self._attribute_fields
        if not fields:
            return ()
        return tuple(
            (name, value)
            for name in fields
            if (value := getattr(transaction, name)) is not None
        )

    def received(self) -> list[ReceivedPayment]:
        """With shared receivers: the payments this engine recorded since
        the last call (the other detectors' engines must ``receive``
        them); empty otherwise."""
        if not self._received:
            return []
        payments, self._received = self._received, []
        return payments

    def receive(self, payments: Iterable[ReceivedPayment]) -> None:
        """Record payments other engines recorded, each once, in their
        receivers' state (see ``WindowState.record_received``); this
        engine's own, told back, are recorded already and skipped."""
        record, name = self.state.record_received, self.name
        for payment in payments:
            if payment.origin != name:
                record(payment)

    def _tell(self, transaction, time, key, amount, first_payment) -> None:
        self._received.append(
            ReceivedPayment(
                transaction.target,
                transaction.source,
                time,
                key,
                first_payment,
                amount,
                transaction.currency,
                self.name,
            )
        )

    def restore(self, transactions: Iterable[Transaction], *, shard: int | None = None):
        """Add already classified transactions to the state without judging
        them (after a restart or a rebalance). Ones already present are
        skipped."""
        for transaction in transactions:
            key = transaction.transaction_id.int
            time = transaction.timestamp.timestamp()
            source = self.state.sources.get(transaction.source)
            if source is not None and source.contains(key, time):
                continue
            self._record(transaction, time, key, shard)

    def restore_history(
        self,
        payers: dict[str, PayerHistory],
        receivers: dict[str, ReceiverHistory],
        *,
        shard: int | None = None,
        populations: dict[str, tuple[tuple[float, int], ...]] | None = None,
    ) -> None:
        """Give accounts, and currencies, the baselines of their older
        history (before the transactions ``restore`` then replays): see
        ``WindowState.restore_history``."""
        self.state.restore_history(payers, receivers, shard, populations)

    def forget(self, shards: Iterable[int]) -> None:
        """Drop the state of accounts last seen on these shards."""
        self.state.forget(shards)

    def _record(self, transaction: Transaction, time: float, key: int, shard) -> None:
        self.state.record(
            source=transaction.source,
            target=transaction.target,
            time=time,
            amount=float(transaction.amount),
            key=key,
            shard=shard,
            currency=transaction.currency,
            attributes=self._watched(transaction),
        )


def original_rule() -> AmountThresholdRule:
    """The tutorial's rule: ``amount >= 900`` EUR is fraud."""
    return AmountThresholdRule(
        name="amount_threshold",
        threshold=Decimal("900"),
        currency="EUR",
        weight=100,
        description="Single transaction amount at or above the threshold.",
    )


def default_engine(*, clock: Callable[[], datetime]) -> Engine:
    """The engine with the original rule only."""
    return Engine(RuleSet(rules=(original_rule(),)), clock=clock)
