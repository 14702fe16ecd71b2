"""Detection quality metrics, and the evaluate command end to end."""

import re

import pytest
from django.core.management import call_command

from transactions_app.simulation.evaluation import (
    DEAD_LETTER,
    Judged,
    average_precision,
    dataset_report,
    evaluate,
    precision_recall_curve,
    side_by_side,
)


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


@pytest.mark.parametrize(
    "scored, expected",
    [
        ([(3, True), (2, True), (1, False)], 1.0),
        # recall 1/2 at precision 1, then 2/2 at precision 2/3
        ([(3, True), (2, False), (1, True)], 0.5 + 0.5 * 2 / 3),
        # a tie is one threshold: both or neither
        ([(1, True), (1, False)], 0.5),
        ([(5, False), (0, True), (0, False), (0, False)], 0.25),
        ([(1, False)], 0.0),
    ],
)
def test_average_precision_is_the_step_area_over_distinct_scores(scored, expected):
    assert average_precision(scored) == pytest.approx(expected)


def test_the_curve_has_a_point_per_distinct_score_highest_first():
    curve = precision_recall_curve([(3, True), (1, True), (3, False), (0, False)])
    assert curve == [(3, 0.5, 0.5), (1, 1.0, 2 / 3), (0, 1.0, 0.5)]
    assert precision_recall_curve([(1, False)]) == []


def test_dataset_figures_count_cases_dead_letters_and_false_positive_rules():
    """A case is caught by any of its transactions; a fraud without a case
    is one of its own; a dead letter is not flagged; the rules that fired
    on legitimate transactions are counted."""
    report = dataset_report(
        "rules",
        [
            Judged("f1", True, "c1", "fraud", 100, ("amount_threshold",)),
            Judged("f2", True, "c1", "legit"),
            Judged("f3", True, "", "review", 50, ("velocity",)),
            Judged("f4", True, "", DEAD_LETTER),
            Judged("l1", False, "", "review", 60, ("velocity", "fan_in")),
            Judged("l2", False, "", "legit"),
            Judged("l3", False, "", "legit"),
            Judged("l4", False, "", "legit"),
        ],
    )
    assert (report.fraud, report.fraud_flagged, report.recall) == (4, 2, 0.5)
    assert (len(report.cases), len(report.caught)) == (3, 2)
    assert report.precision == pytest.approx(2 / 3)
    assert report.false_positive_rate == 0.25
    assert report.false_positive_rules == {"velocity": 1, "fan_in": 1}
    assert report.confusion[("fraud", DEAD_LETTER)] == 1
    assert "| legit | 3 | 1 | 0 | 0 |" in report.confusion_text()
    table = side_by_side([report, dataset_report("none", [])])
    assert "| | rules | none |" in table
    assert "| false-positive rate | 25.00% | 0.00% |" in table


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
