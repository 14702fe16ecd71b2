"""rundetector as a separate process: SIGTERM finishes the batch in hand
and exits cleanly with every offset committed."""

import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from tests.streaming.detector_process import ROOT, detector_env
from transactions_app.models import Transaction

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_rules"),
]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_sigterm_stops_cleanly_after_committing(
    settings, kafka_topics, kafka, group_id
):
    messages = [
        {
            "source": f"acct{i:08d}",
            "target": "Z9y8X7w6V5u4",
            "amount": 10.0 + i,
            "currency": "EUR",
        }
        for i in range(50)
    ]
    kafka.produce(kafka_topics.transactions, messages)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "rundetector", "--group-id", group_id],
        cwd=ROOT,
        env=detector_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120  # bounds a failure
        while Transaction.objects.count() < 50 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert Transaction.objects.count() == 50
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "detector stopped: 50 classified, 0 dead letters" in output
    assert kafka.uncommitted(group_id, kafka_topics.transactions, 3) == {}
