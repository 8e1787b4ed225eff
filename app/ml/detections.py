"""Where the model says "this class is here": windows whose top class passes its threshold.

Only the top class of a window can make a detection, so one window never shows two competing
bands; overlapping windows (a hop shorter than the clip) of the same class merge into one band,
which is how a call a few seconds long reads on screen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Detection:
    start: float
    end: float
    class_id: int
    score: float  # the highest top-class score among the merged windows


def detections(
    starts: np.ndarray,
    class_ids: Sequence[int],
    scores: np.ndarray,
    thresholds: Mapping[int, float],
    clip_seconds: float,
    default_threshold: float = 0.5,
) -> list[Detection]:
    """Bands, sorted by start, from window starts (n,), their scores (n, k) and per-class
    thresholds; windows of the same top class that overlap or touch are merged."""
    starts = np.asarray(starts, dtype=np.float64).reshape(-1)
    scores = np.asarray(scores, dtype=np.float32)
    if len(starts) == 0 or scores.ndim != 2 or scores.shape[1] == 0:
        return []
    order = np.argsort(starts, kind="stable")
    starts, scores = starts[order], scores[order]
    top = scores.argmax(axis=1)
    top_score = scores[np.arange(len(scores)), top]
    limits = np.asarray(
        [thresholds.get(int(c), default_threshold) for c in class_ids], dtype=np.float32
    )
    hits = np.flatnonzero(top_score >= limits[top])
    out: list[Detection] = []
    for i in hits:
        class_id = int(class_ids[top[i]])
        start, end, score = float(starts[i]), float(starts[i]) + clip_seconds, float(top_score[i])
        last = out[-1] if out else None
        if last is not None and last.class_id == class_id and start <= last.end + 1e-9:
            out[-1] = Detection(last.start, max(last.end, end), class_id, max(last.score, score))
        else:
            out.append(Detection(start, end, class_id, score))
    return out
