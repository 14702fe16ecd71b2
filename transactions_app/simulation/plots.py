"""Pictures of detection quality for ``evaluate --plot``: the
precision-recall curve of each run, and how the score of the rules in force
falls for fraud and for legitimate transactions. Needs matplotlib (in the
development requirements; ``pip install matplotlib`` elsewhere)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

from .evaluation import DatasetReport, precision_recall_curve  # noqa: E402


def plot_quality(reports: list[DatasetReport], path: Path) -> None:
    """Draw ``reports`` (the first is the rules in force) into ``path``."""
    figure, (curves, scores) = plt.subplots(1, 2, figsize=(12, 5))
    for report in reports:
        points = precision_recall_curve(report.scored)
        curves.step(
            [recall for _, recall, _ in points],
            [precision for _, _, precision in points],
            where="post",
            label=f"{report.title} (AP {report.average_precision:.3f})",
        )
    curves.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02))
    curves.set_title("Precision and recall, flagging at each score")
    curves.legend(loc="lower left")
    _score_histogram(scores, reports[0])
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _score_histogram(axes, report: DatasetReport) -> None:
    fraud = [score for score, is_fraud in report.scored if is_fraud]
    legit = [score for score, is_fraud in report.scored if not is_fraud]
    top = max((score for score, _ in report.scored), default=0) + 10
    bins = range(0, int(top) + 10, 10)
    axes.hist(legit, bins=bins, alpha=0.6, label=f"legit ({len(legit)})")
    axes.hist(fraud, bins=bins, alpha=0.6, label=f"fraud ({len(fraud)})")
    axes.set_yscale("log")
    axes.set(xlabel="score", ylabel="transactions (log scale)")
    axes.set_title(f"Scores of the {report.title}")
    axes.legend()
