"""Rules in the database drive the running detector: changes are picked up
without a restart, and windows survive a restart through restored state."""

import time
import uuid
from datetime import UTC, datetime

import pytest

from tests.streaming.detector_process import DetectorProcess
from tests.streaming.detector_thread import run_detector_until_done
from transactions_app.models import Rule, Transaction
from transactions_app.rules.services import rule_version_propose

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_rules"),
]


def message(amount, source="a1B2c3D4e5F6", target="Z9y8X7w6V5u4"):
    return {
        "transaction_id": str(uuid.uuid4()),
        "timestamp": datetime.now(UTC).isoformat(),
        "source": source,
        "target": target,
        "amount": amount,
        "currency": "EUR",
    }


def wait_for_row(transaction_id: str, timeout: float = 90.0) -> Transaction:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = Transaction.objects.filter(transaction_id=transaction_id).first()
        if row is not None:
            return row
        time.sleep(0.1)
    raise AssertionError(f"transaction {transaction_id} was not stored in {timeout} s")


def test_a_rule_edited_while_the_detector_runs_applies_within_seconds(
    settings, kafka_topics, kafka, group_id, admin_user
):
    """Lowering the original rule's threshold to 50 EUR makes a 100 EUR
    transfer fraud, without restarting the detector; the stored verdict
    names the new rule version."""
    settings.RULES_FOUR_EYES = False
    detector = DetectorProcess(
        settings, "--group-id", group_id, RULES_RELOAD_SECONDS="1"
    )
    try:
        before = message(100.0)
        kafka.produce(kafka_topics.transactions, [before])
        assert wait_for_row(before["transaction_id"]).outcome == "legit"

        rule = Rule.objects.get(name="amount_threshold")
        changed_at = time.monotonic()
        rule_version_propose(
            rule=rule,
            author=admin_user,
            weight=100,
            params={"threshold": "50", "currency": "EUR"},
        )
        reloaded_at = detector.wait_for_output("rules reloaded") + detector.started_at
        after = message(100.0)
        kafka.produce(kafka_topics.transactions, [after])
        row = wait_for_row(after["transaction_id"])
    finally:
        assert detector.terminate() == 0, detector.output
    assert row.outcome == "fraud"
    assert row.rule_versions["amount_threshold"] == 2
    assert row.reasons[0]["version"] == 2
    # The bound for picking up a change, checked every second here.
    assert reloaded_at - changed_at < 5, (
        f"reloaded {reloaded_at - changed_at:.1f} s later"
    )


def test_windows_survive_a_restart(kafka_topics, kafka, group_id):
    """Five transfers before a restart and one after: the sixth within a
    minute breaks the velocity rule (more than 5), because the restarted
    detector restores the partition's recent history from the database."""
    source = "burstyAccount"
    kafka.produce(
        kafka_topics.transactions,
        [message(10.0, source=source) for _ in range(5)],
        key=source.encode(),
    )
    run_detector_until_done(kafka, group_id=group_id)
    assert (
        not Transaction.objects.filter(source=source).exclude(outcome="legit").exists()
    )

    sixth = message(10.0, source=source)
    kafka.produce(kafka_topics.transactions, [sixth], key=source.encode())
    run_detector_until_done(kafka, group_id=group_id)
    row = Transaction.objects.get(transaction_id=sixth["transaction_id"])
    assert [r["rule"] for r in row.reasons] == ["velocity"]
    assert row.reasons[0]["observed"] == "6 transactions"
    assert row.outcome == "review"
