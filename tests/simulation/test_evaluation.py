"""Detection quality metrics, and the evaluate command end to end."""

import re

import pytest
from django.core.management import call_command

from transactions_app.simulation.evaluation import evaluate


def test_metrics_follow_their_definitions():
    """Episode recall counts attacks with any flagged transaction; precision
    is over flagged transactions; warm-up is left out."""
    report = evaluate(
        [
            ("warmup", "", "fraud"),
            ("legit", "", "legit"),
            ("legit", "", "review"),
            ("velocity_burst", "e1", "legit"),
            ("velocity_burst", "e1", "review"),
            ("velocity_burst", "e2", "legit"),
            ("large_single", "e3", "fraud"),
        ]
    )
    burst = report.scenarios["velocity_burst"]
    assert (burst.episode_recall, burst.transaction_recall) == (0.5, 1 / 3)
    assert report.scenarios["large_single"].episode_recall == 1.0
    assert report.precision == pytest.approx(2 / 3)
    assert report.false_positive_rate == 0.5
    assert "warmup" not in report.confusion
    assert report.confusion["legit"]["review"] == 1


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("default_rules")
def test_evaluate_meets_the_goals_at_default_settings(capsys):
    """Through Kafka and the real detector loop, the default rules catch
    every scenario (episode recall >= 0.95) with precision >= 0.90."""
    call_command("evaluate", count=6000, warmup=40000, seed=7, fraud_share=0.05)
    out = capsys.readouterr().out
    row = r"^\| (\w+) \| (\d+) \| (\d+) \| ([\d.]+) \| \d+ \| \d+ \| [\d.]+ \|$"
    rows = re.findall(row, out, re.M)
    recalls = {name: float(recall) for name, _e, _c, recall in rows}
    assert set(recalls) == {
        "large_single",
        "card_testing",
        "velocity_burst",
        "account_takeover",
        "mule_fan_in",
    }
    assert min(recalls.values()) >= 0.95, out
    precision = float(re.search(r"Precision .*: ([\d.]+)", out).group(1))
    assert precision >= 0.90, out
