"""The engine as a running detector uses it: the rule set from the
database, reloaded when it changes, and per-account state restored for the
partitions the detector is assigned."""

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import DatabaseError, close_old_connections

from ..detection import Engine, RuleConfigError, RuleSet, Transaction, Verdict
from ..ingest.selectors import transactions_for_restore
from .selectors import rules_fingerprint, ruleset_live

logger = logging.getLogger(__name__)


class LiveDetection:
    """Implements the detector loop's ``Detection`` protocol.

    Every ``reload_interval`` seconds ``refresh`` compares a fingerprint of
    the rule tables and, when it changed, loads the new rule set. A rule set
    that cannot be built is logged and the last good one stays in force,
    and so do the rules in force while the database cannot be reached (the
    detector goes on classifying; storing waits for the database).
    """

    def __init__(
        self,
        *,
        topic: str,
        reload_interval: float,
        restore_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._topic = topic
        self._reload_interval = reload_interval
        self._restore_seconds = restore_seconds
        self._clock = clock
        self._now = now
        self._fingerprint = rules_fingerprint()
        self.engine = Engine(ruleset_live(), clock=now)
        self._next_check = clock() + reload_interval
        logger.info("rules in force: %s", _describe(self.engine.ruleset))

    def classify(self, transaction: Transaction, *, shard: int) -> Verdict:
        return self.engine.classify(transaction, shard=shard)

    def refresh(self) -> None:
        if self._clock() < self._next_check:
            return
        self._next_check = self._clock() + self._reload_interval
        try:
            self._reload_if_changed()
        except DatabaseError as error:
            logger.warning(
                "cannot check the rules (%s); the rules in force stay", error
            )
            close_old_connections()  # reconnect at the next check

    def _reload_if_changed(self) -> None:
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
        """Restore recent history of these partitions from the database, so
        a restart or a rebalance does not reset the windows."""
        lookback = max(self._restore_seconds, self.engine.state.limits.retention)
        since = self._now() - timedelta(seconds=lookback)
        for partition in partitions:
            restored = transactions_for_restore(
                topic=self._topic, partition=partition, since=since
            )
            self.engine.restore(restored, shard=partition)
            logger.info(
                "restored state of partition %d from %d transactions",
                partition,
                len(restored),
            )

    def partitions_revoked(self, partitions: list[int]) -> None:
        self.engine.forget(partitions)


def _describe(ruleset: RuleSet) -> str:
    return ", ".join(f"{rule.name} v{rule.version}" for rule in ruleset.rules) or "none"
