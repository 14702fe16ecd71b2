"""Storing classified transactions: one row per transaction id, always."""

import uuid
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.factories import NOW, engine_transaction
from transactions_app.detection import Outcome, Reason, Verdict
from transactions_app.ingest.selectors import transactions_for_restore
from transactions_app.ingest.services import transactions_store_batch
from transactions_app.models import DeadLetter
from transactions_app.models import Transaction as TransactionRow
from transactions_app.streaming.records import ClassifiedTransaction, MessageOrigin

pytestmark = pytest.mark.django_db


def classified(
    amount="10.00",
    *,
    transaction_id=None,
    outcome=Outcome.LEGIT,
    offset=0,
    **enrichment,
) -> ClassifiedTransaction:
    reasons = ()
    if outcome is Outcome.FRAUD:
        reasons = (Reason("amount_threshold", 1, f"{amount} EUR", ">= 900 EUR", 100),)
    transaction = engine_transaction(
        amount, transaction_id=transaction_id, **enrichment
    )
    return ClassifiedTransaction(
        transaction=transaction,
        verdict=Verdict(outcome, 100 if outcome is Outcome.FRAUD else 0, reasons),
        origin=MessageOrigin("queuing.transactions", 1, offset, NOW),
        received_at=NOW,
    )


def test_a_batch_is_stored_with_every_field():
    """Each field of the transaction, verdict and origin lands in its column."""
    item = classified("950.00", outcome=Outcome.FRAUD, offset=7)
    stored = transactions_store_batch(classified=[item])
    assert stored.new == [item]
    assert stored.conflicts == []
    row = TransactionRow.objects.get()
    assert row.transaction_id == item.transaction.transaction_id
    assert row.amount == Decimal("950.00")
    assert row.outcome == "fraud"
    assert row.score == 100
    assert row.reasons[0]["rule"] == "amount_threshold"
    assert (row.kafka_topic, row.kafka_partition, row.kafka_offset) == (
        "queuing.transactions",
        1,
        7,
    )
    assert row.timestamp == NOW
    assert row.is_flagged
    assert (row.model_probability, row.shadow_version) == (None, None)


def test_the_models_probabilities_are_stored_beside_the_verdict():
    """The model in force's probability, and the shadow's with its version,
    for the comparison of the two before the candidate is approved."""
    item = classified("20.00")
    verdict = Verdict(Outcome.LEGIT, 0, (), {"learned_score": 3}, 0.25, 4, 0.625)
    transactions_store_batch(classified=[replace(item, verdict=verdict)])
    row = TransactionRow.objects.get()
    assert (row.model_probability, row.shadow_version, row.shadow_probability) == (
        0.25,
        4,
        0.625,
    )


def test_a_redelivered_transaction_is_stored_once_and_not_reported_again():
    """Storing the same transaction again (a redelivery) adds nothing,
    reports nothing new and is no conflict."""
    item = classified("1.00")
    assert transactions_store_batch(classified=[item]).new == [item]
    again = transactions_store_batch(classified=[item])
    assert (again.new, again.conflicts) == ([], [])
    assert TransactionRow.objects.count() == 1


def test_a_transaction_read_again_and_classified_otherwise_is_stored_once():
    """The second reading may see other state (its own first storing among
    it) and give another verdict, which the table's unique key (the
    outcome is in it, as the table is partitioned by it) would not refuse:
    the store looks for the id itself."""
    item = classified("950.00", outcome=Outcome.FRAUD)
    transactions_store_batch(classified=[item])
    otherwise = replace(item, verdict=Verdict(Outcome.LEGIT, 0, ()))
    again = transactions_store_batch(classified=[otherwise])
    assert (again.new, again.conflicts) == ([], [])
    assert TransactionRow.objects.get().outcome == "fraud"


def test_the_same_id_at_another_time_is_a_conflict_within_a_day_and_apart_beyond():
    """An id is looked for within ``SAME_ID_WINDOW`` of the event time
    (a bounded number of time partitions): a message with a stored id and
    an event time an hour off is a conflict; two days off, another
    transaction."""
    first = classified("1.00")
    tid = first.transaction.transaction_id
    transactions_store_batch(classified=[first])

    def moved(hours: float, offset: int) -> ClassifiedTransaction:
        later = first.transaction.timestamp + timedelta(hours=hours)
        return replace(
            first,
            transaction=replace(first.transaction, timestamp=later),
            origin=replace(first.origin, offset=offset),
        )

    near = transactions_store_batch(classified=[moved(1, offset=1)])
    assert (near.new, len(near.conflicts)) == ([], 1)
    far = moved(48, offset=2)
    assert transactions_store_batch(classified=[far]).new == [far]
    assert TransactionRow.objects.filter(transaction_id=tid).count() == 2


def test_a_batch_partly_stored_already_stores_and_reports_only_the_rest():
    """A batch read again after a crash, with new messages behind the old
    ones: only the new transactions are stored and reported."""
    old = [classified("1.00", offset=0), classified("2.00", offset=1)]
    transactions_store_batch(classified=old)
    new = [classified("3.00", offset=2), classified("4.00", offset=3)]
    stored = transactions_store_batch(classified=[*old, *new])
    assert (stored.new, stored.conflicts) == (new, [])
    assert TransactionRow.objects.count() == 4


def test_a_reused_id_with_other_content_is_a_dead_letter():
    """A later message with a stored id but other content does not replace
    the first: it is refused as a conflict and kept as a dead letter."""
    tid = uuid.uuid4()
    transactions_store_batch(classified=[classified("1.00", transaction_id=tid)])
    again = transactions_store_batch(
        classified=[
            classified("2.00", transaction_id=tid, offset=5),
            classified("3.00"),
        ]
    )
    assert [item.transaction.amount for item in again.new] == [Decimal("3.00")]
    [conflict] = again.conflicts
    assert (conflict.partition, conflict.offset) == (1, 5)
    assert conflict.error == f"duplicate transaction_id {tid} with different content"
    assert TransactionRow.objects.get(transaction_id=tid).amount == Decimal("1.00")
    assert DeadLetter.objects.get().error == conflict.error


def test_duplicates_within_one_batch_keep_the_first():
    """Messages with one id in a batch: the first is stored; a later one is
    a conflict if its content differs, and a repeat if not."""
    tid = uuid.uuid4()
    first = classified("1.00", transaction_id=tid)
    copy = classified("1.00", transaction_id=tid, offset=4)
    stored = transactions_store_batch(
        classified=[first, copy, classified("2.00", transaction_id=tid, offset=9)]
    )
    assert stored.new == [first]
    assert [c.offset for c in stored.conflicts] == [9]
    assert stored.repeats == [copy]  # stored once, so routed once
    assert TransactionRow.objects.get(transaction_id=tid).amount == Decimal("1.00")


def test_an_exact_redelivery_from_another_position_is_a_repeat():
    """The same transaction sent twice (same id and content, another
    offset) is stored once and reported as a repeat, so its result is
    routed once."""
    tid = uuid.uuid4()
    first = classified("5.00", transaction_id=tid, offset=3)
    transactions_store_batch(classified=[first])
    resent = classified("5.00", transaction_id=tid, offset=40)
    again = transactions_store_batch(classified=[resent])
    assert (again.new, again.conflicts, again.repeats) == ([], [], [resent])
    assert TransactionRow.objects.get(transaction_id=tid).kafka_offset == 3


def test_a_batch_read_again_from_its_own_position_is_no_repeat():
    """A message read again from the position it was stored from (a crash
    or rebalance before the commit) is neither new nor a repeat: its
    result is routed again, as the first attempt may not have sent it."""
    item = classified("6.00", offset=12)
    transactions_store_batch(classified=[item])
    again = transactions_store_batch(classified=[item])
    assert (again.new, again.conflicts, again.repeats) == ([], [], [])


ENRICHMENT = {
    "merchant_category": "grocery_pos",
    "channel": "online",
    "country": "NL",
    "device_id": "device-1",
    "ip": "2001:db8::7",
}


def test_enrichment_fields_are_stored_and_restored_as_they_came():
    """An enriched transaction and a plain one come back from the database
    as the engine took them: absent fields absent, not empty."""
    enriched, plain = classified(offset=0, **ENRICHMENT), classified(offset=1)
    transactions_store_batch(classified=[enriched, plain])
    row = TransactionRow.objects.get(transaction_id=enriched.transaction.transaction_id)
    assert (row.merchant_category, row.channel, row.country) == (
        "grocery_pos",
        "online",
        "NL",
    )
    assert (row.device_id, row.ip) == ("device-1", "2001:db8::7")
    restored = transactions_for_restore(
        topic="queuing.transactions", partition=1, since=NOW - timedelta(days=1)
    )
    assert sorted(restored, key=lambda tx: tx.transaction_id) == sorted(
        [enriched.transaction, plain.transaction], key=lambda tx: tx.transaction_id
    )


def test_an_enriched_redelivery_from_another_position_is_a_repeat():
    first = classified(offset=0, **ENRICHMENT)
    transactions_store_batch(classified=[first])
    again = classified(
        offset=5, transaction_id=first.transaction.transaction_id, **ENRICHMENT
    )
    stored = transactions_store_batch(classified=[again])
    assert (stored.new, stored.conflicts, stored.repeats) == ([], [], [again])


def test_a_reused_id_differing_only_in_an_enrichment_field_is_a_conflict():
    first = classified(offset=0, **ENRICHMENT)
    transactions_store_batch(classified=[first])
    other = classified(
        offset=5,
        transaction_id=first.transaction.transaction_id,
        **ENRICHMENT | {"merchant_category": "shopping_net"},
    )
    stored = transactions_store_batch(classified=[other])
    assert stored.new == []
    assert len(stored.conflicts) == 1
    assert "different content" in stored.conflicts[0].error
