"""Shared receivers through real Kafka and real detector processes: one
detector and three detectors judge the same labelled stream alike, and a
mule paid by payers of every partition is caught either way; without
sharing, three detectors each see a third of it and miss it."""

import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.conftest import delete_kafka_topics, fresh_kafka_topics
from tests.detection.context import tx
from tests.detection.history import habitual_stream
from tests.streaming.detector_process import assigned_detector
from tests.streaming.outages import produce_keyed, wait_until_all_committed
from transactions_app.models import Transaction
from transactions_app.streaming.codec import transaction_to_dict

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def labelled_stream():
    """Five days of habitual payments to warm up, then a last day judged:
    its outsized payments and first payments to fresh receivers, and a
    mule paid by eight cards new to it within twenty minutes."""
    stream = habitual_stream(days=6)
    judged_from = stream[-1].timestamp - timedelta(days=1)
    mule = [
        replace(
            tx("95.00", source=f"card{n}", target="mule"),
            transaction_id=uuid.UUID(int=n + 1),
            timestamp=stream[-1].timestamp + timedelta(minutes=2 * n + 1),
        )
        for n in range(8)
    ]
    warmup = [t for t in stream if t.timestamp < judged_from]
    return warmup, [t for t in stream if t.timestamp >= judged_from] + mule


def slices(judged) -> list[list]:
    """The judged payments in slices where each receiver is paid at most
    once: the n-th payment to every receiver in slice n. Each slice is
    produced after every detector committed the one before, so a payment
    is judged after every earlier payment to its receiver was recorded,
    whichever detector recorded it; within a slice the order cannot
    matter to a receiver."""
    seen, grouped = Counter(), []
    for payment in judged:
        index = seen[payment.target]
        seen[payment.target] += 1
        if index == len(grouped):
            grouped.append([])
        grouped[index].append(payment)
    return grouped


def verdicts_of(settings, kafka, *, detectors: int, share: bool) -> dict:
    """Run ``detectors`` detector processes over the labelled stream, on
    fresh topics and an empty table; the stored verdicts of the judged
    payments, by transaction id."""
    Transaction.objects.all().delete()
    topics = fresh_kafka_topics(settings)
    group_id = f"{topics.transactions}.group"
    env = {"DETECTION_SHARE_RECEIVERS": "true" if share else "false"}
    warmup, judged = labelled_stream()
    try:
        with ExitStack() as stack:
            running = [
                stack.enter_context(
                    assigned_detector(settings, "--group-id", group_id, **env)
                )
                for _ in range(detectors)
            ]
            if detectors > 1:  # every member holds one partition
                for detector in running:
                    detector.wait_for_output("partitions assigned: [", timeout=90)
                wait_for_one_partition_each(running)
            for part in [warmup, *slices(judged)]:
                produce_keyed(kafka, topics.transactions, documents(part))
                wait_until_all_committed(kafka, group_id, topics.transactions)
    finally:
        delete_kafka_topics()
    ids = [t.transaction_id for t in judged]
    return {
        row.transaction_id: (row.outcome, sorted(r["rule"] for r in row.reasons))
        for row in Transaction.objects.filter(transaction_id__in=ids)
    }


def wait_for_one_partition_each(running) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        last = [d.output.rsplit("partitions assigned: ", 1)[-1] for d in running]
        if all(text.startswith("[") and "," not in text.split("]")[0] for text in last):
            return
        time.sleep(0.1)
    raise AssertionError("the group did not settle on one partition each")


def documents(transactions) -> list[dict]:
    return [transaction_to_dict(t) for t in transactions]


def mule_rules(verdicts, judged) -> list[list[str]]:
    return [verdicts[t.transaction_id][1] for t in judged if t.target == "mule"]


def test_one_and_three_detectors_give_the_same_verdicts(settings, kafka, default_rules):
    one = verdicts_of(settings, kafka, detectors=1, share=True)
    three = verdicts_of(settings, kafka, detectors=3, share=True)
    _, judged = labelled_stream()
    assert len(one) == len(three) == len(judged)
    assert three == one
    assert any("fan_in" in rules for rules in mule_rules(one, judged))


def test_without_sharing_three_detectors_miss_the_mule(settings, kafka, default_rules):
    three = verdicts_of(settings, kafka, detectors=3, share=False)
    _, judged = labelled_stream()
    assert any("amount_threshold" in rules for _, rules in three.values())
    assert not any("fan_in" in rules for rules in mule_rules(three, judged))
