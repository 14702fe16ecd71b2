"""The reference for restoring baselines: a stream of habitual payers, and
what their history before a point in time should give back, computed
directly from the transactions (the database selectors must agree)."""

import random
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from tests.factories import NOW
from transactions_app.detection import PayerHistory, ReceiverHistory, Transaction
from transactions_app.detection.baselines import (
    PAYER_AMOUNTS,
    POPULATION_AMOUNTS,
    sampled,
)
from transactions_app.detection.state import MAX_COUNTERPARTIES, hour_of

DAY = 86400


def habitual_stream(*, days: int = 20, payers: int = 30, seed: int = 7) -> list:
    """``days`` of payments by ``payers`` cards, each at its own scale and
    hours, mostly to a few shops of its own, in event-time order; the last
    day adds what the relative rules react to (outsized amounts, first
    payments to receivers new or long known)."""
    rng = random.Random(seed)
    start = NOW - timedelta(days=days)
    shops = [f"shop{n}" for n in range(12)]
    stream = []
    for number in range(payers):
        card = f"card{number}"
        scale = rng.choice([8, 30, 120, 900])
        hours = rng.sample(range(6, 23), 3)
        favourites = rng.sample(shops, 4)
        for day in range(days):
            for _ in range(rng.randint(0, 3)):
                at = start + timedelta(
                    days=day, hours=rng.choice(hours), seconds=rng.randrange(3600)
                )
                amount = scale * rng.uniform(0.5, 1.5)
                target = rng.choice(favourites)
                if day == days - 1 and rng.random() < 0.4:
                    amount *= rng.choice([6, 12, 40])
                    target = rng.choice([*shops, f"fresh{number % 3}"])
                stream.append(_payment(rng, card, target, amount, at))
    stream.sort(key=lambda tx: (tx.timestamp, tx.transaction_id))
    return stream


def _payment(rng, source, target, amount, at: datetime) -> Transaction:
    return Transaction(
        transaction_id=uuid.UUID(int=rng.getrandbits(128)),
        source=source,
        target=target,
        amount=Decimal(f"{max(amount, 0.01):.2f}"),
        currency="EUR",
        timestamp=at,
    )


def expected_histories(transactions, *, after: datetime, before: datetime):
    """Payers', receivers' and the population's history of the
    ``transactions`` with ``after <= timestamp < before`` (in stream order),
    as a restart should read it back."""
    window = [tx for tx in transactions if after <= tx.timestamp < before]
    by_payer, by_receiver = defaultdict(list), defaultdict(list)
    for tx in window:
        by_payer[tx.source].append(tx)
        by_receiver[tx.target].append(tx)
    payers = {account: _payer(paid) for account, paid in by_payer.items()}
    receivers = {
        account: ReceiverHistory(
            first_seen=received[0].timestamp.timestamp(),
            last_seen=received[-1].timestamp.timestamp(),
            count=len(received),
        )
        for account, received in by_receiver.items()
    }
    sample = [tx for tx in window if sampled(tx.transaction_id.int)]
    populations = {
        currency: tuple(
            (float(tx.amount), hour_of(tx.timestamp.timestamp()))
            for tx in sample
            if tx.currency == currency
        )[-POPULATION_AMOUNTS:]
        for currency in {tx.currency for tx in sample}
    }
    return payers, receivers, populations


def _payer(paid: list) -> PayerHistory:
    hours = [0] * 24
    last_paid = {}
    for tx in paid:
        hours[hour_of(tx.timestamp.timestamp())] += 1
        last_paid[tx.target] = tx.timestamp.timestamp()
    counterparties = sorted(last_paid.items(), key=lambda item: (item[1], item[0]))
    return PayerHistory(
        first_seen=paid[0].timestamp.timestamp(),
        last_seen=paid[-1].timestamp.timestamp(),
        count=len(paid),
        amounts=tuple(float(tx.amount) for tx in paid[-PAYER_AMOUNTS:]),
        hours=tuple(hours),
        counterparties=tuple(counterparties[-MAX_COUNTERPARTIES:]),
    )
