"""Per-class average precision, mAP and precision-recall curves on held-out clips.

scikit-learn computes them (it comes with librosa); this module only handles what is ours:
clips whose label for a class is unknown (target -1) are left out of that class, classes with
no positive or no negative among the held-out clips get AP None rather than a made-up number,
and curves are thinned to at most ``max_points`` so they fit in a manifest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

UNKNOWN = -1


def average_precision(targets: np.ndarray, scores: np.ndarray) -> list[float | None]:
    """AP per column; ``targets`` holds 1, 0 or -1 (unknown, ignored)."""
    from sklearn.metrics import average_precision_score

    targets = np.asarray(targets)
    scores = np.asarray(scores, dtype=np.float64)
    out: list[float | None] = []
    for column in range(targets.shape[1]):
        known = targets[:, column] >= 0
        y = targets[known, column]
        if y.size == 0 or y.min() == y.max():
            out.append(None)
            continue
        out.append(float(average_precision_score(y, scores[known, column])))
    return out


def mean_ap(aps: Sequence[float | None]) -> float | None:
    values = [a for a in aps if a is not None]
    return float(np.mean(values)) if values else None


def _thin(curve: dict[str, np.ndarray], max_points: int) -> dict[str, list[float]]:
    size = len(curve["recall"])
    if size > max_points:
        keep = np.unique(np.linspace(0, size - 1, max_points).round().astype(int))
        curve = {
            name: values[keep] if len(values) == size else values for name, values in curve.items()
        }
    return {name: [round(float(v), 5) for v in values] for name, values in curve.items()}


def pr_curve(
    targets: np.ndarray, scores: np.ndarray, max_points: int = 101
) -> dict[str, list[float]] | None:
    """Precision, recall and thresholds for one class (1-D inputs; -1 targets dropped)."""
    from sklearn.metrics import precision_recall_curve

    targets = np.asarray(targets)
    known = targets >= 0
    y = targets[known]
    if y.size == 0 or y.min() == y.max():
        return None
    precision, recall, thresholds = precision_recall_curve(y, np.asarray(scores)[known])
    # sklearn returns one more precision/recall point than thresholds (recall 0, precision 1);
    # pad the thresholds with 1.0 so all three lists line up for plotting and tables.
    thresholds = np.append(thresholds, 1.0)
    return _thin({"precision": precision, "recall": recall, "thresholds": thresholds}, max_points)


def evaluate(targets: np.ndarray, scores: np.ndarray, class_names: Sequence[str]) -> dict[str, Any]:
    """Everything the GUI shows after training, as plain JSON-able data."""
    targets = np.asarray(targets)
    aps = average_precision(targets, scores)
    per_class: dict[str, Any] = {}
    for column, name in enumerate(class_names):
        known = targets[:, column] >= 0
        per_class[name] = {
            "ap": aps[column],
            "positives": int((targets[known, column] == 1).sum()),
            "negatives": int((targets[known, column] == 0).sum()),
            "pr_curve": pr_curve(targets[:, column], scores[:, column]),
        }
    return {"map": mean_ap(aps), "per_class": per_class, "clips": int(len(targets))}
