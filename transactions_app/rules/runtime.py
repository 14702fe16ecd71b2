"""The engine as a running detector uses it: the rule set from the
database, reloaded when it changes, and per-account state restored for the
partitions the detector is assigned."""

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import DatabaseError, close_old_connections

from ..detection import (
    Engine,
    ReceivedPayment,
    RuleConfigError,
    RuleSet,
    Transaction,
)
from ..detection.batches import JudgedBatch
from ..ingest.selectors import (
    RESTORE_LIMIT,
    account_histories,
    population_histories,
    transactions_for_restore,
)
from ..scoring.selectors import (
    learned_score,
    model_version_live,
    model_version_shadowing,
    models_fingerprint,
)
from ..scoring.services import model_drift_record
from .selectors import rules_fingerprint, ruleset_live

logger = logging.getLogger(__name__)

# Seconds without reading new accounts' baselines after the database failed.
LOOKUP_PAUSE = 30.0
# Seconds between the drift counts of the model in force written down.
DRIFT_SECONDS = 60.0


class LiveDetection:
    """Implements the detector loop's ``Detection`` protocol.

    Every ``reload_interval`` seconds ``refresh`` compares a fingerprint of
    the rule tables and, when it changed, loads the new rule set; and one
    of the model versions, and when it changed, the model in force (the
    learned score, or none). A rule set or a model that cannot be built is
    logged and the last good one stays in force, and so do both while the
    database cannot be reached (the detector goes on classifying; storing
    waits for the database).
    """

    def __init__(
        self,
        *,
        topic: str,
        reload_interval: float,
        restore_seconds: float,
        baseline_seconds: float = 0.0,
        share_receivers: bool = False,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._topic = topic
        self._reload_interval = reload_interval
        self._restore_seconds = restore_seconds
        self._baseline_seconds = baseline_seconds
        # Per partition restored: where its replay began, so that history
        # read for an account first seen later ends there too.
        self._history_before: dict[int, datetime] = {}
        self._lookups_paused_until = float("-inf")
        self._clock = clock
        self._now = now
        self._fingerprint = rules_fingerprint()
        self.engine = Engine(ruleset_live(), clock=now, share_receivers=share_receivers)
        self._models_fingerprint = None
        self._reload_model_if_changed()
        self._next_check = clock() + reload_interval
        self._next_drift = clock() + DRIFT_SECONDS
        logger.info("rules in force: %s", _describe(self.engine.ruleset))

    def judge_batch(self, batch: list[tuple[Transaction, int]]) -> JudgedBatch:
        return self.engine.judge_batch(batch)

    def receive(self, payments: list[ReceivedPayment]) -> None:
        self.engine.receive(payments)

    def received(self) -> list[ReceivedPayment]:
        return self.engine.received()

    def refresh(self) -> None:
        if self._clock() < self._next_check:
            return
        self._next_check = self._clock() + self._reload_interval
        try:
            self._record_drift_when_due()
            self._reload_if_changed()
        except DatabaseError as error:
            logger.warning(
                "cannot check the rules (%s); the rules in force stay", error
            )
            close_old_connections()  # reconnect at the next check

    def _record_drift_when_due(self) -> None:
        """Every ``DRIFT_SECONDS``, write down how the traffic scored since
        fell into the bins of the model in force (kept for the next time
        if the database refuses)."""
        if self._clock() < self._next_drift:
            return
        self._next_drift = self._clock() + DRIFT_SECONDS
        self._write_drift(self.engine.learned)

    def _write_drift(self, learned) -> None:
        """Write down the drift counts ``learned`` (a model served here)
        took since the last time, if any."""
        counter = getattr(learned.model, "drift", None) if learned else None
        counts = counter.take() if counter is not None else None
        if counts is None:
            return
        try:
            model_drift_record(number=learned.version, counts=counts, at=self._now())
        except DatabaseError:
            counter.put_back(counts)
            raise

    def _reload_if_changed(self) -> None:
        self._reload_rules_if_changed()
        self._reload_model_if_changed()

    def _reload_model_if_changed(self) -> None:
        """Load the model in force and the one in shadow when the model
        versions changed; one that cannot be loaded is logged and the last
        good one in its place stays. A version already served here is kept
        as it is, its trees compiled (a candidate approved from shadow
        goes in force without compiling again)."""
        fingerprint = models_fingerprint()
        if fingerprint == self._models_fingerprint:
            return
        engine = self.engine
        served = [score for score in (engine.learned, engine.shadow) if score]
        learned = _loaded(model_version_live(), "in force", engine.learned, served)
        shadow = _loaded(model_version_shadowing(), "in shadow", engine.shadow, served)
        if learned is not None and learned is engine.shadow:
            _forget_drift(learned)  # what it counted in shadow is no live drift
        for role, before, after in (
            ("in force", engine.learned, learned),
            ("in shadow", engine.shadow, shadow),
        ):
            now = _describe_learned(after)
            if self._models_fingerprint is None or now != _describe_learned(before):
                logger.info("learned score %s: %s", role, now)
        if learned is not engine.learned:
            self._write_drift(engine.learned)  # what it counted until now
        engine.replace_learned(learned, shadow)
        self._models_fingerprint = fingerprint

    def _reload_rules_if_changed(self) -> None:
        fingerprint = rules_fingerprint()
        if fingerprint == self._fingerprint:
            return
        try:
            ruleset = ruleset_live()
        except RuleConfigError as error:
            logger.error(
                "cannot load the changed rules, keeping the last good: %s", error
            )
        else:
            self.engine.replace_rules(ruleset)
            logger.info("rules reloaded: %s", _describe(ruleset))
        self._fingerprint = fingerprint

    def partitions_assigned(self, partitions: list[int]) -> None:
        """Restore these partitions' state from the database, so a restart
        or a rebalance resets neither the windows nor the baselines: the
        recent transactions (``restore_seconds``, at least the longest
        window) are replayed, and the accounts they involve first get the
        baselines of their older history (``baseline_seconds`` before
        that: amounts, hours, age, counts, receivers paid)."""
        lookback = max(self._restore_seconds, self.engine.state.limits.retention)
        since = self._now() - timedelta(seconds=lookback)
        for partition in partitions:
            restored = transactions_for_restore(
                topic=self._topic, partition=partition, since=since
            )
            histories = self._restore_baselines(restored, since, partition)
            self.engine.restore(restored, shard=partition)
            logger.info(
                "restored state of partition %d from %d transactions and the "
                "baselines of %d accounts",
                partition,
                len(restored),
                histories,
            )

    def prepare(self, batch: list[tuple[Transaction, int]]) -> None:
        """Give the accounts of ``batch`` this detector does not know yet
        (idle through the replayed window, or new) the baselines of their
        stored history before that window: one read for all the batch's
        partitions whose replay started at the same time (as ones assigned
        together did), not one per partition. Each account is looked up
        once: after its first transaction it has state. While the database
        cannot be reached the batch is judged without (and the next
        batches too, for ``LOOKUP_PAUSE`` seconds)."""
        if not self._history_before or self._clock() < self._lookups_paused_until:
            return
        unknown = self._unknown_accounts(batch)
        try:
            for before, shards in unknown.items():
                self._restore_histories_of_shards(shards, before)
        except DatabaseError as error:
            logger.warning(
                "cannot read the baselines of new accounts (%s); judging "
                "without them for %.0f s",
                error,
                LOOKUP_PAUSE,
            )
            self._lookups_paused_until = self._clock() + LOOKUP_PAUSE
            close_old_connections()

    def _unknown_accounts(self, batch) -> dict[datetime, dict[int, tuple[set, set]]]:
        """The payers and receivers of ``batch`` without state, by where
        their partition's replay started, then by partition; a receiver
        paid from several partitions is asked for once."""
        state = self.engine.state
        unknown: dict[datetime, dict[int, tuple[set, set]]] = {}
        asked = set()
        for transaction, shard in batch:
            before = self._history_before.get(shard)
            if before is None:
                continue
            sources, targets = unknown.setdefault(before, {}).setdefault(
                shard, (set(), set())
            )
            if transaction.source not in state.sources:
                sources.add(transaction.source)
            target = transaction.target
            if target not in state.targets and target not in asked:
                targets.add(target)
                asked.add(target)
        return unknown

    def _restore_histories_of_shards(
        self, shards: dict[int, tuple[set, set]], before: datetime
    ) -> None:
        """Read the history before ``before`` of the accounts of ``shards``
        (partition: payers, receivers) in one ``account_histories`` call,
        and give each partition's accounts theirs."""
        sources = set().union(*(payers for payers, _ in shards.values()))
        targets = set().union(*(receivers for _, receivers in shards.values()))
        if not (sources or targets):
            return
        payers, receivers = account_histories(
            topic=self._topic,
            sources=sources,
            targets=targets,
            after=before - timedelta(seconds=self._baseline_seconds),
            before=before,
        )
        for shard, (shard_sources, shard_targets) in shards.items():
            self.engine.restore_history(
                {a: payers[a] for a in shard_sources if a in payers},
                {a: receivers[a] for a in shard_targets if a in receivers},
                shard=shard,
            )

    def _restore_baselines(self, restored, since: datetime, partition: int) -> int:
        """Give the accounts of ``restored`` the baselines of what they did
        before it; return for how many accounts history was found."""
        if not self._baseline_seconds:
            return 0
        # When the replay was cut at its limit, history ends where it starts.
        before = restored[0].timestamp if len(restored) >= RESTORE_LIMIT else since
        self._history_before[partition] = before
        if not restored:
            return 0
        return self._restore_histories(
            {tx.source for tx in restored},
            {tx.target for tx in restored},
            {tx.currency for tx in restored},
            before,
            partition,
        )

    def _restore_histories(self, sources, targets, currencies, before, shard) -> int:
        """Read the history before ``before`` of these accounts (and, while
        the detector has none, these currencies' populations) and give it
        to the engine; return for how many accounts some was found."""
        after = before - timedelta(seconds=self._baseline_seconds)
        payers, receivers = account_histories(
            topic=self._topic,
            sources=sources,
            targets=targets,
            after=after,
            before=before,
        )
        populations = None
        if currencies and not self.engine.state.population:
            populations = population_histories(
                topic=self._topic, currencies=currencies, after=after, before=before
            )
        self.engine.restore_history(
            payers, receivers, shard=shard, populations=populations
        )
        return len(payers) + len(receivers)

    def partitions_revoked(self, partitions: list[int]) -> None:
        self.engine.forget(partitions)
        for partition in partitions:
            self._history_before.pop(partition, None)


def _loaded(version, role: str, last_good, served: list):
    """The learned score of ``version`` (None without one): the one of
    ``served`` that is that version, else loaded; ``last_good`` when it
    cannot be loaded."""
    if version is None:
        return None
    for score in served:
        if score.version == version.number:
            return score
    try:
        return learned_score(version)
    except ValueError as error:
        logger.error(
            "cannot load the model put %s, keeping the last good: %s", role, error
        )
        return last_good


def _forget_drift(learned) -> None:
    counter = getattr(learned.model, "drift", None)
    if counter is not None:
        counter.take()


def _describe_learned(learned) -> str:
    return "off" if learned is None else f"model v{learned.version}"


def _describe(ruleset: RuleSet) -> str:
    return ", ".join(f"{rule.name} v{rule.version}" for rule in ruleset.rules) or "none"
