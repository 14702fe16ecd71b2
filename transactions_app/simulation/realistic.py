"""The realistic producer profile: a bounded population of accounts with
habits, plus labelled fraud scenarios injected among them.

Accounts recur: each has a typical amount (log-normal across accounts),
an activity level, and a few regular counterparties it pays most of the
time. Amounts are mostly small with a heavy tail. Event time runs on a
simulated clock at ``rate`` transactions per second from ``start``, so a
run sent as fast as Kafka accepts still spans realistic hours.

Fraud scenarios (each an *episode* of one or more transactions):
``large_single``, ``card_testing``, ``velocity_burst``,
``account_takeover`` and ``mule_fan_in``. Every generated transaction
carries its ground-truth label (``legit``, ``warmup`` or the scenario
name) and its episode id, for the producer to put in Kafka headers.
"""

import heapq
import itertools
import math
import random
import string
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from ..detection import Transaction
from .generator import Labelled

SCENARIOS = (
    "large_single",
    "card_testing",
    "velocity_burst",
    "account_takeover",
    "mule_fan_in",
)
ALPHABET = string.ascii_letters + string.digits


@dataclass(slots=True)
class Account:
    id: str
    typical: float
    activity: float
    counterparties: list[str]
    sent: int = 0


class RealisticProfile:
    """Generates labelled transactions; call it for the next one.

    ``fraud_share`` is the share of transactions that belong to fraud
    episodes (after the first ``warmup`` transactions, which are all legit
    and labelled ``warmup``).
    """

    name = "realistic"

    def __init__(
        self,
        *,
        seed: int | None,
        start: datetime,
        rate: float = 2.0,
        accounts: int = 3000,
        fraud_share: float = 0.02,
        warmup: int = 0,
    ) -> None:
        self._random = random.Random(seed)
        self._time = start.timestamp()
        self._rate = rate
        self._fraud_share = fraud_share
        self._warmup = warmup
        self._generated = 0
        self._pending: list = []  # heap of (time, sequence, Labelled parts)
        self._sequence = 0
        self._accounts = [self._new_account() for _ in range(accounts)]
        ids = [a.id for a in self._accounts]
        for account in self._accounts:
            others = self._random.sample(ids, self._random.randint(3, 6) + 1)
            account.counterparties = [o for o in others if o != account.id][:6]
        # Cumulative weights once: choices() is then a binary search, not a
        # pass over the whole population per transaction.
        self._cum_weights = list(
            itertools.accumulate(a.activity for a in self._accounts)
        )
        self._episode_length = 6.5  # mean transactions per episode

    def __call__(self) -> Labelled:
        self._time += self._random.expovariate(self._rate)
        self._generated += 1
        if self._pending and self._pending[0][0] <= self._time:
            return self._pop()
        if self._generated > self._warmup and self._starts_episode():
            self._schedule(self._random.choice(SCENARIOS))
            return self._pop()
        label = "warmup" if self._generated <= self._warmup else "legit"
        return self._legit(label)

    # -- legit traffic -------------------------------------------------

    def _legit(self, label: str) -> Labelled:
        account = self._random.choices(self._accounts, cum_weights=self._cum_weights)[0]
        if self._random.random() < 0.85:
            target = self._random.choice(account.counterparties)
        else:
            target = self._random.choice(self._accounts).id
        amount = account.typical * math.exp(self._random.gauss(0, 0.5))
        account.sent += 1
        return Labelled(
            self._transaction(account.id, target, amount, self._time), label
        )

    def _starts_episode(self) -> bool:
        return self._random.random() < self._fraud_share / self._episode_length

    # -- fraud scenarios -----------------------------------------------

    def _schedule(self, scenario: str) -> None:
        episode = (
            f"{scenario}-{uuid.UUID(int=self._random.getrandbits(128), version=4)}"
        )
        for offset, source, target, amount in getattr(self, f"_{scenario}")():
            tx = self._transaction(source, target, amount, self._time + offset)
            heapq.heappush(
                self._pending,
                (
                    tx.timestamp.timestamp(),
                    self._sequence,
                    Labelled(tx, scenario, episode),
                ),
            )
            self._sequence += 1

    def _pop(self) -> Labelled:
        return heapq.heappop(self._pending)[2]

    def _established(self, min_sent: int = 5) -> Account:
        for _ in range(50):
            account = self._random.choice(self._accounts)
            if account.sent >= min_sent:
                return account
        return account

    def _large_single(self):
        source = self._established()
        return [(0.0, source.id, self._fresh_id(), self._random.uniform(1000, 9000))]

    def _card_testing(self):
        card = self._fresh_id()
        steps, offset = [], 0.0
        for _ in range(self._random.randint(6, 10)):
            merchant = self._random.choice(self._accounts).id
            steps.append((offset, card, merchant, self._random.uniform(0.5, 1.99)))
            offset += self._random.uniform(5, 20)
        steps.append(
            (
                offset,
                card,
                self._random.choice(self._accounts).id,
                self._random.uniform(200, 800),
            )
        )
        return steps

    def _velocity_burst(self):
        source = self._established()
        count = self._random.randint(12, 20)
        return [
            (
                self._random.uniform(0, 50),
                source.id,
                self._random.choice(source.counterparties + [self._fresh_id()]),
                source.typical * math.exp(self._random.gauss(0, 0.5)),
            )
            for _ in range(count)
        ]

    def _account_takeover(self):
        source = self._established()
        steps = []
        for i in range(self._random.randint(2, 4)):
            amount = min(
                890.0, max(500.0, source.typical * self._random.uniform(10, 30))
            )
            steps.append(
                (i * self._random.uniform(30, 300), source.id, self._fresh_id(), amount)
            )
        return steps

    def _mule_fan_in(self):
        mule = self._fresh_id()
        senders = self._random.sample(self._accounts, self._random.randint(8, 12))
        return [
            (
                self._random.uniform(0, 1200),
                sender.id,
                mule,
                self._random.uniform(100, 800),
            )
            for sender in senders
        ]

    # -- helpers -------------------------------------------------------

    def _new_account(self) -> Account:
        return Account(
            id=self._fresh_id(),
            typical=math.exp(self._random.gauss(3.3, 0.8)),
            activity=math.exp(self._random.gauss(0, 0.5)),
            counterparties=[],
        )

    def _fresh_id(self) -> str:
        return "".join(self._random.choices(ALPHABET, k=12))

    def _transaction(self, source, target, amount, time) -> Transaction:
        cents = max(1, round(amount * 100))
        return Transaction(
            transaction_id=uuid.UUID(int=self._random.getrandbits(128), version=4),
            source=source,
            target=target,
            amount=Decimal(cents).scaleb(-2),
            currency="EUR",
            timestamp=datetime.fromtimestamp(time, tz=UTC),
        )
