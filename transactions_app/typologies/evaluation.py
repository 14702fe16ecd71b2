"""How well the typology scan finds laundering: generated traffic with
laundering episodes stored, scanned, and the findings matched to the
episodes.

A finding is right when most of its payments belong to one laundering
episode; an episode is found when a right finding matches it. Recall is
counted over the episodes that had time to finish before the traffic
ends (``settle_days``: the slowest scenario takes up to twelve days),
precision over every finding.
"""

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..models import Transaction
from ..simulation.generator import Labelled
from ..simulation.laundering import LAUNDERING_SCENARIOS
from ..simulation.realistic import RealisticProfile, rate_for_accounts
from .scans import DEFAULT_SCAN, Candidate, ScanSettings, scan

BATCH = 5000


@dataclass(frozen=True, slots=True)
class ScanQuality:
    findings: int
    right: int
    episodes: int
    found: int
    missed_by_scenario: dict[str, int]
    stored: int

    @property
    def precision(self) -> float | None:
        return self.right / self.findings if self.findings else None

    @property
    def recall(self) -> float | None:
        return self.found / self.episodes if self.episodes else None


def generated(
    *, seed: int, start: datetime, days: float, accounts: int, laundering_share: float
) -> Iterable[Labelled]:
    """``days`` of the realistic profile's traffic for ``accounts`` people,
    its fraud scenarios and laundering at ``laundering_share``."""
    rate = rate_for_accounts(accounts)
    profile = RealisticProfile(
        seed=seed,
        start=start,
        rate=rate,
        accounts=accounts,
        laundering_share=laundering_share,
    )
    for _ in range(round(rate * days * 86400)):
        yield profile()


def store_generated(labelled: Iterable[Labelled]) -> dict[uuid.UUID, tuple[str, str]]:
    """Store the payments as classified legit (the scan reads every stored
    payment, whatever its outcome); returns each laundering payment's
    scenario and episode by transaction id."""
    truth, batch = {}, []
    for offset, item in enumerate(labelled):
        tx = item.transaction
        if item.label in LAUNDERING_SCENARIOS:
            truth[tx.transaction_id] = (item.label, item.episode)
        batch.append(_row(tx, offset))
        if len(batch) == BATCH:
            Transaction.objects.bulk_create(batch)
            batch = []
    Transaction.objects.bulk_create(batch)
    return truth


def _row(tx, offset: int) -> Transaction:
    return Transaction(
        transaction_id=tx.transaction_id,
        source=tx.source,
        target=tx.target,
        amount=tx.amount,
        currency=tx.currency,
        timestamp=tx.timestamp,
        received_at=tx.timestamp,
        outcome=Transaction.Outcome.LEGIT,
        kafka_topic="generated",
        kafka_partition=0,
        kafka_offset=offset,
    )


def scan_quality(
    *,
    candidates: list[Candidate],
    truth: dict[uuid.UUID, tuple[str, str]],
    settled_before: datetime,
) -> ScanQuality:
    """Match ``candidates`` to the laundering episodes of ``truth``;
    recall over the episodes whose first payment came before
    ``settled_before``."""
    ids = {
        pk: tid
        for pk, tid in Transaction.objects.filter(
            pk__in={pk for c in candidates for pk in c.row_ids}
        ).values_list("pk", "transaction_id")
    }
    episodes = [_episode_of(c, ids, truth) for c in candidates]
    matched = {episode for episode in episodes if episode}
    settled = _settled_episodes(truth, settled_before)
    missed = Counter(
        scenario for episode, scenario in settled.items() if episode not in matched
    )
    return ScanQuality(
        findings=len(candidates),
        right=sum(1 for episode in episodes if episode),
        episodes=len(settled),
        found=sum(1 for episode in settled if episode in matched),
        missed_by_scenario=dict(missed),
        stored=Transaction.objects.count(),
    )


def _episode_of(candidate, ids, truth) -> str:
    """The laundering episode most of the candidate's payments belong to,
    or "" (a wrong finding)."""
    episodes = Counter(truth.get(ids[pk], ("", ""))[1] for pk in candidate.row_ids)
    episode, count = episodes.most_common(1)[0]
    return episode if count * 2 > len(candidate.row_ids) else ""


def _settled_episodes(truth, settled_before: datetime) -> dict[str, str]:
    first: dict[str, datetime] = {}
    scenario: dict[str, str] = {}
    times = dict(
        Transaction.objects.filter(transaction_id__in=truth).values_list(
            "transaction_id", "timestamp"
        )
    )
    for tid, (label, episode) in truth.items():
        at = times[tid]
        first[episode] = min(first.get(episode, at), at)
        scenario[episode] = label
    return {e: scenario[e] for e, at in first.items() if at < settled_before}


def evaluate_generated(
    *,
    seed: int,
    start: datetime,
    days: float,
    settle_days: float = 12.0,
    accounts: int = 3000,
    laundering_share: float = 0.02,
    settings: ScanSettings = DEFAULT_SCAN,
) -> ScanQuality:
    """Generate, store and scan ``days`` of traffic (in an empty table),
    scoring the episodes that began ``settle_days`` before its end."""
    truth = store_generated(
        generated(
            seed=seed,
            start=start,
            days=days,
            accounts=accounts,
            laundering_share=laundering_share,
        )
    )
    end = start + timedelta(days=days)
    candidates = scan(since=start, until=end + timedelta(days=1), settings=settings)
    return scan_quality(
        candidates=candidates,
        truth=truth,
        settled_before=end - timedelta(days=settle_days),
    )
