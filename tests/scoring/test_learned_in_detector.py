"""The learned score end to end: ``trainmodel`` on a labelled stream,
``--activate``, then the real detector reads the same stream from Kafka and
its verdicts on the output topics carry the model's reasons, in words,
where the later (unseen) fraud is; a candidate in shadow scores every
transaction beside it."""

import gzip
import json
import logging
import time
import uuid
from io import StringIO

import pytest
from django.core.management import call_command

from tests.scoring.test_trainmodel_command import write_history
from tests.streaming.detector_process import DetectorProcess
from tests.streaming.detector_thread import run_detector_until_done
from tests.streaming.test_live_rules import message, wait_for_row
from transactions_app.detection.clock import utc_moment
from transactions_app.models import ModelVersion, Transaction
from transactions_app.scoring.artefact import TrainedModel
from transactions_app.scoring.services import (
    model_version_approve,
    model_version_record,
    model_version_shadow,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_rules"),
]

HISTORY = 6000


def learned_reason(document: dict) -> dict | None:
    return next((r for r in document["reasons"] if r["rule"] == "learned_score"), None)


def test_a_model_trained_and_activated_speaks_in_the_detectors_verdicts(
    settings, tmp_path, kafka_topics, kafka, group_id, caplog
):
    settings.RULES_FOUR_EYES = False
    dataset, labels, items = write_history(tmp_path, HISTORY, keep=True)
    out = StringIO()
    call_command(
        "trainmodel",
        "--dataset",
        str(dataset),
        "--labels",
        str(labels),
        "--activate",
        stdout=out,
    )
    version = ModelVersion.objects.get(status="live")
    until = version.training["until"]
    # the same model again, as a candidate scoring in shadow
    candidate = model_version_record(
        model=TrainedModel.from_bytes(bytes(version.artefact)), source="again"
    )
    model_version_shadow(version=candidate, requested_by=None)

    kafka.produce(
        kafka_topics.transactions,
        [json.loads(line) for line in dataset_lines(dataset)],
        key=b"one-partition-keeps-the-order",
    )
    with caplog.at_level(logging.INFO, logger="transactions_app.rules.runtime"):
        run_detector_until_done(kafka, group_id=group_id)
    assert f"learned score in force: model v{version.number}" in caplog.text

    routed = [
        json.loads(message.value())
        for topic in (kafka_topics.legit, kafka_topics.fraud)
        for message in kafka.read(topic, expected=0)
    ]
    assert len(routed) == HISTORY
    is_fraud = {str(i.transaction.transaction_id): i.is_fraud for i in items}
    later = [d for d in routed if event_time(d) >= until]
    flagged = [d for d in later if learned_reason(d) is not None]
    caught = [d for d in flagged if is_fraud[d["transaction_id"]]]
    fraud = [d for d in later if is_fraud[d["transaction_id"]]]
    # the model flags the unseen period's fraud, and mostly only fraud
    assert len(caught) >= 0.5 * len(fraud), (len(caught), len(fraud))
    assert len(caught) >= 0.5 * len(flagged), (len(caught), len(flagged))
    reason = learned_reason(caught[0])
    assert reason["observed"].startswith("probability of fraud ")
    assert ": +" in reason["observed"]  # its contributions, in words
    assert reason["version"] == version.number
    stored = Transaction.objects.get(
        transaction_id=uuid.UUID(caught[0]["transaction_id"])
    )
    assert stored.rule_versions["learned_score"] == version.number
    assert stored.outcome in ("review", "fraud")
    # the candidate scored every transaction beside it, deciding nothing
    shadowed = Transaction.objects.filter(shadow_version=candidate.number)
    assert shadowed.count() == HISTORY
    assert stored.shadow_probability == pytest.approx(stored.model_probability)


def dataset_lines(path):
    with gzip.open(path, "rt") as lines:
        yield from lines


def event_time(document: dict) -> float:
    return utc_moment(document["timestamp"]).timestamp()


def test_a_model_approved_while_the_detector_runs_is_served_within_seconds(
    settings, kafka_topics, kafka, group_id, model
):
    """Put in force while a ``rundetector`` process runs, the model enters
    its verdicts from its next check on (a threshold this low makes it fire
    on anything), without a restart; the stored verdict names its version."""
    settings.RULES_FOUR_EYES = False
    detector = DetectorProcess(
        settings, "--group-id", group_id, RULES_RELOAD_SECONDS="1"
    )
    try:
        before = message(100.0)
        kafka.produce(kafka_topics.transactions, [before])
        first = wait_for_row(before["transaction_id"])
        version = model_version_record(model=model, source="test")
        ModelVersion.objects.filter(pk=version.pk).update(review_at=1e-9, fraud_at=1.0)
        changed_at = time.monotonic()
        model_version_approve(version=version, approver=None)
        loaded = detector.wait_for_output(
            f"learned score in force: model v{version.number}"
        )
        after = message(100.0)
        kafka.produce(kafka_topics.transactions, [after])
        second = wait_for_row(after["transaction_id"])
    finally:
        assert detector.terminate() == 0, detector.output
    assert first.model_probability is None
    assert "learned_score" not in first.rule_versions
    assert second.rule_versions["learned_score"] == version.number
    assert [r["rule"] for r in second.reasons] == ["learned_score"]
    assert second.model_probability is not None
    took = loaded + detector.started_at - changed_at
    assert took < 5, f"served {took:.1f} s after the approval"
