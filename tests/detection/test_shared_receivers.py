"""Engines that share receivers: each judges its own payers, tells the
others every payment it recorded, and records theirs, so a receiver's
state holds the payments of every partition, however many engines run."""

import zlib
from dataclasses import replace
from datetime import timedelta

from tests.detection.context import tx
from tests.detection.history import habitual_stream
from tests.factories import NOW
from transactions_app.detection import Engine, ReceivedPayment, RuleSet
from transactions_app.rules.defaults import default_rules


def engine(*, shared: bool) -> Engine:
    return Engine(
        RuleSet(rules=default_rules()), clock=lambda: NOW, share_receivers=shared
    )


def mule_stream() -> list:
    """Habitual traffic, then a receiver never seen before paid by eight
    payers new to it within twenty minutes: a mule, whichever engines its
    payers' partitions belong to."""
    stream = habitual_stream(days=5)
    start = stream[-1].timestamp
    return stream + [
        replace(
            tx("95.00", source=f"card{n}", target="mule"),
            timestamp=start + timedelta(minutes=2 * n + 1),
        )
        for n in range(8)
    ]


def shard_of(transaction, engines: int) -> int:
    return zlib.crc32(transaction.source.encode()) % engines


def verdicts_with(engines: list[Engine], stream, *, share: bool) -> list:
    """Each payment judged by its payer's engine; with ``share``, every
    payment recorded is then told to every engine before the next."""
    verdicts = []
    for transaction in stream:
        judge = engines[shard_of(transaction, len(engines))]
        verdicts.append(judge.classify(transaction))
        if share:
            told = judge.received()
            for other in engines:
                other.receive(told)
    return verdicts


def test_three_engines_sharing_receivers_judge_as_one():
    stream = mule_stream()
    one = verdicts_with([engine(shared=True)], stream, share=True)
    three = verdicts_with([engine(shared=True) for _ in range(3)], stream, share=True)
    assert three == one
    assert any(r.rule == "fan_in" for r in one[-1].reasons)


def test_without_sharing_each_engine_sees_a_third_of_the_mule():
    stream = mule_stream()
    three = verdicts_with([engine(shared=False) for _ in range(3)], stream, share=False)
    assert not any(r.rule == "fan_in" for v in three[-8:] for r in v.reasons)


def test_a_payment_told_twice_or_back_to_its_engine_counts_once():
    judge, other = engine(shared=True), engine(shared=True)
    judge.classify(tx(source="a", target="shop"))
    told = judge.received()
    assert [(p.source, p.target, p.new) for p in told] == [("a", "shop", True)]
    judge.receive(told + told)
    other.receive(told + told)
    assert judge.state.target("shop").count == other.state.target("shop").count == 1
    assert judge.received() == []  # told once


def test_its_own_payment_told_back_long_after_is_not_counted_again():
    """By the time an engine reads its own payment back, later payments
    may have moved the receiver's window past it: it is known as its own,
    not taken for a late one."""
    judge = engine(shared=True)
    judge.classify(tx(source="a", target="shop", t=0))
    judge.classify(tx(source="b", target="shop", t=86400))
    judge.receive(judge.received())
    assert judge.state.target("shop").count == 2


def test_a_payment_told_before_its_own_replay_is_not_added_again():
    """After a restart the feed may bring a payment before the database
    replay does (``restore``): the receiver records it once."""
    payment = tx(source="a", target="shop")
    judge = engine(shared=True)
    judge.receive(
        [
            ReceivedPayment(
                "shop",
                "a",
                payment.timestamp.timestamp(),
                payment.transaction_id.int,
                True,
                10.0,
                "EUR",
            )
        ]
    )
    judge.restore([payment])
    assert judge.state.target("shop").count == 1
    assert judge.state.source("a").count == 1


def test_shared_receivers_are_kept_when_partitions_are_revoked():
    judge = engine(shared=True)
    judge.classify(tx(source="a", target="shop"), shard=0)
    judge.forget([0])
    assert judge.state.source("a") is None
    assert judge.state.target("shop") is not None


def test_an_engine_that_does_not_share_tells_nothing():
    judge = engine(shared=False)
    judge.classify(tx())
    assert judge.received() == []
