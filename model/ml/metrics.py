"""Per-class average precision, mAP and precision-recall curves on held-out clips.

scikit-learn computes them (it comes with librosa); this module only handles what is ours:
clips whose label for a class is unknown (target -1) are left out of that class, classes with
no positive or no negative among the held-out clips get AP None rather than a made-up number,
and curves are thinned to at most ``max_points`` so they fit in a manifest.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

import numpy as np

UNKNOWN = -1
ONE_FOLDER_NOTE = (
    "All labelled recordings are at one site (the recordings list's Site column: GUANO, "
    "AudioMoth id, typed, else the folder), so these figures cannot tell sites apart: they may "
    "not carry over to other sites or individuals."
)


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


def spread(values: Sequence[float | None]) -> dict[str, Any]:
    """Mean, standard deviation, min and max of the per-fold figures that exist."""
    known = [float(v) for v in values if v is not None]
    if not known:
        return {"mean": None, "std": None, "min": None, "max": None, "folds": 0}
    return {
        "mean": float(np.mean(known)),
        "std": float(np.std(known)),
        "min": float(min(known)),
        "max": float(max(known)),
        "folds": len(known),
    }


def source_warning(sources: Sequence[tuple[str, str]], project_folders: int = 2) -> str | None:
    """Why a class's AP may flatter it: all its present clips come from one recording, or
    from recordings at one site while the labelled recordings span ``project_folders`` sites.
    A source is the recording's site, else its folder (``evaluation.recording_sources``; the
    historical name ``folders`` is kept in the figures). When every recording is at one site
    the site tells nothing apart, and the figures say so once (``ONE_FOLDER_NOTE``) rather than
    for every class."""
    if len(sources) == 1:
        return (
            f"all present clips come from one recording ({sources[0][0]}): its AP says how well "
            "the model finds that recording's calls again, not calls of other individuals or "
            "nights; label this class in other recordings"
        )
    folders = {folder for _, folder in sources}
    if len(sources) > 1 and len(folders) == 1 and project_folders > 1:
        source = next(iter(folders))
        site = (PurePath(source).name if PurePath(source).is_absolute() else source) or "?"
        return (
            f"all present clips come from recordings at one site ({site}; the recordings "
            "list's Site column, else the folder). Its AP may say how well the model finds "
            "the same individuals at the same place again; label this class in recordings "
            "from another site"
        )
    return None


def cross_validated(
    targets: np.ndarray,
    scores: np.ndarray,
    fold_of: np.ndarray,
    class_names: Sequence[str],
    positive_sources: Sequence[Sequence[tuple[str, str]]],
    folders: int = 2,
) -> dict[str, Any]:
    """Per-class AP on out-of-fold scores (each window scored by the fold that did not train on
    it): pooled over all folds, and per fold with its spread; plus how many recordings (and
    folders) hold the class's present clips, and a warning when that is one."""
    pooled = evaluate(targets, scores, class_names)
    folds = sorted(set(int(f) for f in fold_of if f >= 0))
    per_fold = [average_precision(targets[fold_of == f], scores[fold_of == f]) for f in folds]
    fold_maps = [mean_ap(aps) for aps in per_fold]
    for column, name in enumerate(class_names):
        entry = pooled["per_class"][name]
        values = [aps[column] for aps in per_fold]
        entry["ap_folds"] = values
        entry["ap_spread"] = spread(values)
        sources = positive_sources[column]
        entry["recordings"] = len(sources)
        entry["folders"] = len({folder for _, folder in sources})
        entry["warning"] = source_warning(sources, folders)
    pooled["folders"] = folders
    if folders == 1:
        pooled["sources_note"] = ONE_FOLDER_NOTE
    pooled["map_folds"] = fold_maps
    pooled["map_spread"] = spread(fold_maps)
    return pooled
