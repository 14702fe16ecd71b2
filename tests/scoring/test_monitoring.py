"""The drift check: an alert when the probability has drifted past the
threshold, logged and posted to the webhook, once a day per version; a
webhook that is down gets it at the next check; calm traffic alerts
nothing."""

import logging
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from tests.webhook_server import SECRET, WebhookServer
from transactions_app.alerts.webhook import WebhookFailed
from transactions_app.models import ModelDrift, ModelVersion
from transactions_app.scoring.artefact import Scorer
from transactions_app.scoring.monitoring import model_drift_check
from transactions_app.scoring.services import (
    model_drift_record,
    model_version_approve,
    model_version_record,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_force(settings, model):
    settings.RULES_FOUR_EYES = False
    settings.LEARNED_DRIFT_ALERT_PSI = 0.25
    version = model_version_record(model=model, source="test")
    return model_version_approve(version=version, approver=None)


def record(version, model, features, at):
    scorer = Scorer(model, compiled=False)
    scorer.probabilities(features)
    model_drift_record(number=version.number, counts=scorer.drift.take(), at=at)


def training_window(model, rows):
    return rows.features[rows.times < model.training["until"]][::2]


def shifted(model, rows):
    """The training window with every amount a hundred times larger."""
    features = training_window(model, rows).copy()
    for column, name in enumerate(model.features):
        if "amount" in name and name.startswith("log_"):
            features[:, column] += np.log(100)
    return features


def test_calm_traffic_alerts_nothing(in_force, model, rows):
    now = timezone.now()
    record(in_force, model, training_window(model, rows), now)
    assert model_drift_check(now=now).endswith("no drift")


def test_drift_is_alerted_once_a_day_and_retried_while_the_webhook_is_down(
    in_force, model, rows, settings, caplog
):
    now = timezone.now()
    record(in_force, model, shifted(model, rows), now)
    settings.ALERT_WEBHOOK_SECRET = SECRET
    with WebhookServer(["error"]) as webhook:
        settings.ALERT_WEBHOOK_URL = webhook.url
        with caplog.at_level(logging.ERROR), pytest.raises(WebhookFailed):
            model_drift_check(now=now)
        assert "the learned score has drifted: model v1" in caplog.text
        assert ModelVersion.objects.get().drift_alerted_at is None  # not sent
        assert model_drift_check(now=now).endswith("drift alerted")
        assert model_drift_check(now=now + timedelta(hours=1)).startswith(
            "model v1: drift alerted at"
        )
        a_day_later = now + timedelta(hours=25)
        record(in_force, model, shifted(model, rows), a_day_later)  # still drifted
        assert model_drift_check(now=a_day_later).endswith("drift alerted")
    first, second, third = webhook.received
    assert first.json == second.json
    assert second.signature_valid
    body = second.json
    assert (body["event"], body["model_version"]) == ("model_drift", 1)
    assert body["psi"] >= 0.25 and body["transactions"] > 0
    assert "amount" in body["features"][0]["name"]
    assert third.headers["Idempotency-Key"] != second.headers["Idempotency-Key"]


def test_without_a_webhook_the_drift_is_logged(in_force, model, rows, caplog):
    now = timezone.now()
    record(in_force, model, shifted(model, rows), now)
    with caplog.at_level(logging.ERROR):
        assert model_drift_check(now=now).endswith("drift alerted")
    assert "most drifted: " in caplog.text


def test_without_a_model_there_is_nothing_to_check():
    assert model_drift_check(now=timezone.now()).startswith("no model")


def test_counts_older_than_a_month_are_dropped(in_force, model, rows):
    now = timezone.now()
    sample = training_window(model, rows)[:100]
    for days in (0, 29, 31):
        record(in_force, model, sample, now - timedelta(days=days))
    model_drift_check(now=now)
    kept = ModelDrift.objects.values_list("recorded_at", flat=True)
    assert sorted(now - at for at in kept) == [timedelta(0), timedelta(days=29)]
