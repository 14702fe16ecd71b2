"""The realistic producer profile: a bounded population of accounts with
habits, plus labelled fraud scenarios injected among them.

Accounts recur: each person has a typical amount (log-normal across
accounts), an activity level, a home country, and regular counterparties
it pays most of the time: a few shops (merchants with many customers, each
of one category, paid in person or online), a utility it pays its bills to
by direct debit, and a few other people (transfers). Some people work
nights and pay at night; the others hardly ever do. Amounts are mostly
small with a heavy tail, in the currency of the payer's home country:
most pay in euros, the others in pounds, kronor, zloty or forints (up to
400 to the euro), so the same habits come at scales hundreds of times
apart. Every payment carries the optional enrichment
fields a card or bank processor would send (``merchant_category`` for
shops, ``channel``, ``country``). Event time runs on a simulated clock at
``rate`` transactions per second from ``start``, so a run sent as fast as
Kafka accepts still spans realistic hours.

Fraud scenarios (each an *episode* of one or more transactions):
``large_single``, ``card_testing``, ``velocity_burst``,
``account_takeover`` and ``mule_fan_in``; with ``laundering_share``, the
money-laundering scenarios of ``laundering.py`` too. Every generated transaction
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

from ..detection import Transaction
from .generator import Labelled
from .laundering import LAUNDERING_SCENARIOS, LaunderingScenarios
from .money import EURO, HOME_CURRENCIES, Money

SCENARIOS = (
    "large_single",
    "card_testing",
    "velocity_burst",
    "account_takeover",
    "mule_fan_in",
)
ALPHABET = string.ascii_letters + string.digits
# Shops' categories; the online ones are mostly paid online.
CATEGORIES = (
    "grocery",
    "restaurant",
    "fuel",
    "pharmacy",
    "clothing",
    "online_shop",
    "electronics",
    "travel",
)
ONLINE = frozenset({"online_shop", "electronics", "travel"})
COUNTRIES = ("DE", "FR", "NL", "ES", "IT", "AT", "BE", "GB", "SE", "PL", "HU")


# Mean transactions per laundering episode (laundering.py).
LAUNDERING_LENGTH = 9.0
NIGHT_WORKERS = 0.08  # share of people who pay at night
# How often a person pays, on average: what sizes the population to a rate.
PAYMENTS_PER_DAY = 2.0


def accounts_for_rate(
    rate: float, *, minimum: int = 3000, maximum: int = 200_000
) -> int:
    """How many people make ``rate`` payments a second (event time) when
    each pays ``PAYMENTS_PER_DAY`` a day: at 2 a second, 86,400. A smaller
    population at that rate would pay dozens of times a day each, and its
    shops would be paid by crowds of first-time customers. At most
    ``maximum`` (the generator holds them all; faster rates are for load,
    not realism)."""
    return min(maximum, max(minimum, round(rate * 86400 / PAYMENTS_PER_DAY)))


def rate_for_accounts(accounts: int) -> float:
    """The event-time rate at which ``accounts`` people each pay
    ``PAYMENTS_PER_DAY`` a day."""
    return accounts * PAYMENTS_PER_DAY / 86400


DAY_HOURS = range(7, 23)  # UTC hours when people who work days pay


@dataclass(slots=True)
class Account:
    id: str
    typical: float
    activity: float
    counterparties: list[str]
    sent: int = 0
    category: str | None = None  # a shop's; None for a person
    country: str = "DE"
    night: bool = False
    money: Money = EURO


class RealisticProfile(LaunderingScenarios):
    """Generates labelled transactions; call it for the next one.

    ``fraud_share`` is the share of transactions that belong to fraud
    episodes (after the first ``warmup`` transactions, which are all legit
    and labelled ``warmup``); ``laundering_share`` the share that belongs
    to laundering episodes (none by default).
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
        laundering_share: float = 0.0,
    ) -> None:
        self._random = random.Random(seed)
        self._time = start.timestamp()
        self._rate = rate
        self._fraud_share = fraud_share
        self._laundering_share = laundering_share
        self._warmup = warmup
        self._generated = 0
        self._pending: list = []  # heap of (time, sequence, Labelled parts)
        self._sequence = 0
        self._accounts = [self._new_account() for _ in range(accounts)]
        self._shops = [
            self._new_shop(self._random.choice(CATEGORIES))
            for _ in range(max(8, accounts // 50))
        ]
        self._utilities = [
            self._new_shop("utilities") for _ in range(max(2, accounts // 500))
        ]
        self._receivers = {a.id: a for a in self._shops + self._utilities}
        ids = [a.id for a in self._accounts]
        for account in self._accounts:
            others = self._random.sample(ids, self._random.randint(2, 4) + 1)
            people = [o for o in others if o != account.id][:4]
            shops = self._random.sample(self._shops, self._random.randint(2, 4))
            bills = self._random.choice(self._utilities)
            account.counterparties = people + [s.id for s in shops] + [bills.id]
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
        if self._generated > self._warmup:
            scenario = self._episode_to_start()
            if scenario is not None:
                self._schedule(scenario)
                return self._pop()
        label = "warmup" if self._generated <= self._warmup else "legit"
        return self._legit(label)

    # -- legit traffic -------------------------------------------------

    def _legit(self, label: str) -> Labelled:
        account = self._payer_at(int(self._time // 3600) % 24)
        roll = self._random.random()
        if roll < 0.85:
            target = self._random.choice(account.counterparties)
        elif roll < 0.93:
            target = self._random.choice(self._shops).id  # a shop new to it
        else:
            target = self._random.choice(self._accounts).id
        amount = account.typical * math.exp(self._random.gauss(0, 0.5))
        receiver = self._receivers.get(target)
        if receiver is not None and receiver.category == "utilities":
            amount = account.typical * 1.5  # the same bill each time
        account.sent += 1
        return Labelled(
            self._transaction(
                account.id,
                target,
                (account.money, amount),
                self._time,
                **self._fields(account, target),
            ),
            label,
        )

    def _payer_at(self, hour: int) -> Account:
        """A payer by activity, most of them at their waking hours: a few
        tries to find one awake, for whom the hour is usual."""
        for _ in range(12):
            account = self._random.choices(
                self._accounts, cum_weights=self._cum_weights
            )[0]
            if account.night != (hour in DAY_HOURS) or self._random.random() < 0.05:
                return account
        return account

    def _fields(self, payer: Account, target: str, *, online=None) -> dict:
        """The enrichment fields of a payment from ``payer`` to ``target``:
        a shop's category and how it was paid, a transfer's channel, the
        payer's country."""
        receiver = self._receivers.get(target)
        if receiver is None:
            return {"channel": "transfer", "country": payer.country}
        if receiver.category == "utilities":
            channel = "direct_debit"
        elif online if online is not None else receiver.category in ONLINE:
            channel = "online"
        else:
            channel = self._random.choice(("card_present", "contactless"))
        return {
            "merchant_category": receiver.category,
            "channel": channel,
            "country": payer.country,
        }

    def _episode_to_start(self) -> str | None:
        """The scenario of an episode starting now, or None. The laundering
        draw is made only when laundering is asked for, so the sequence of
        a seed without it is the one it always was."""
        if self._random.random() < self._fraud_share / self._episode_length:
            return self._random.choice(SCENARIOS)
        if self._laundering_share and (
            self._random.random() < self._laundering_share / LAUNDERING_LENGTH
        ):
            return self._random.choice(LAUNDERING_SCENARIOS)
        return None

    # -- fraud scenarios -----------------------------------------------

    def _schedule(self, scenario: str) -> None:
        """Queue an episode of ``scenario``: its steps are ``(offset in
        seconds, source, target, (currency, euros))``."""
        episode = (
            f"{scenario}-{uuid.UUID(int=self._random.getrandbits(128), version=4)}"
        )
        for offset, source, target, payment in getattr(self, f"_{scenario}")():
            tx = self._transaction(
                source,
                target,
                payment,
                self._time + offset,
                **self._fraud_fields(target),
            )
            heapq.heappush(
                self._pending,
                (
                    tx.timestamp.timestamp(),
                    self._sequence,
                    Labelled(tx, scenario, episode),
                ),
            )
            self._sequence += 1

    def _fraud_fields(self, target: str) -> dict:
        """A fraudster's payment: online at a shop, else a transfer, from
        anywhere."""
        receiver = self._receivers.get(target)
        country = self._random.choice(COUNTRIES)
        if receiver is None:
            return {"channel": "transfer", "country": country}
        return {
            "merchant_category": receiver.category,
            "channel": "online",
            "country": country,
        }

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
        amount = (source.money, self._random.uniform(1000, 9000))
        return [(0.0, source.id, self._fresh_id(), amount)]

    def _card_testing(self):
        card = self._fresh_id()
        money = self._random.choice(self._accounts).money  # a card from anywhere
        steps, offset = [], 0.0
        for _ in range(self._random.randint(6, 10)):
            merchant = self._random.choice(self._shops).id
            amount = (money, self._random.uniform(0.5, 1.99))
            steps.append((offset, card, merchant, amount))
            offset += self._random.uniform(5, 20)
        steps.append(
            (
                offset,
                card,
                self._random.choice(self._shops).id,
                (money, self._random.uniform(200, 800)),
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
                (source.money, source.typical * math.exp(self._random.gauss(0, 0.5))),
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
                (
                    i * self._random.uniform(30, 300),
                    source.id,
                    self._fresh_id(),
                    (source.money, amount),
                )
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
                (sender.money, self._random.uniform(100, 800)),
            )
            for sender in senders
        ]

    # -- helpers -------------------------------------------------------

    def _new_account(self) -> Account:
        country = self._random.choice(COUNTRIES)
        return Account(
            id=self._fresh_id(),
            typical=math.exp(self._random.gauss(3.3, 0.8)),  # in euros
            activity=math.exp(self._random.gauss(0, 0.5)),
            counterparties=[],
            country=country,
            night=self._random.random() < NIGHT_WORKERS,
            money=HOME_CURRENCIES.get(country, EURO),
        )

    def _new_shop(self, category: str) -> Account:
        """A receiver only: a shop of ``category``, or a utility."""
        return Account(
            id=self._fresh_id(),
            typical=0.0,
            activity=0.0,
            counterparties=[],
            category=category,
        )

    def _fresh_id(self) -> str:
        return "".join(self._random.choices(ALPHABET, k=12))

    def _transaction(
        self, source, target, payment: tuple[Money, float], time, **fields
    ) -> Transaction:
        """A payment of ``payment``: a currency and the number of euros it
        is worth, rounded to the currency's decimals."""
        money, euros = payment
        return Transaction(
            transaction_id=uuid.UUID(int=self._random.getrandbits(128), version=4),
            source=source,
            target=target,
            amount=money.amount(euros),
            currency=money.code,
            timestamp=datetime.fromtimestamp(time, tz=UTC),
            **fields,
        )
