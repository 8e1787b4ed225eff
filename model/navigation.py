"""Where the navigation keys go: the next clip without a label, the next call the model hears.

Kept without Qt so the rules are tested on arrays. Clips are the windows of a ``ClipGeometry``
(the grid the arrow keys step on, the last window by its one rule); "labelled" is the overlap
rule the review queue and the training set use (``model.review.labelled_mask``), so a clip the
training already has an answer for is not offered again. High-score clips are taken one call at
a time: a run of windows above the threshold is one stop, at its best window, not one stop per
second of the call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from model.clips.geometry import ClipGeometry
from model.review import labelled_mask

_EPS = 1e-6


def next_unlabelled(
    geometry: ClipGeometry,
    duration: float,
    labels: Sequence[Any],
    current: float | None,
    step: int = 1,
) -> float | None:
    """Start of the next (``step`` 1) or previous (-1) window without a label, counted from
    the window starting at ``current`` (None: from the start or the end)."""
    starts = geometry.starts(duration)
    free = np.flatnonzero(~labelled_mask(starts, geometry.clip_seconds, labels))
    if not len(free):
        return None
    if step > 0:
        after = free if current is None else free[starts[free] > current + _EPS]
        return float(starts[after[0]]) if len(after) else None
    before = free if current is None else free[starts[free] < current - _EPS]
    return float(starts[before[-1]]) if len(before) else None


def call_peaks(starts: np.ndarray, scores: np.ndarray, threshold: float) -> np.ndarray:
    """Index of the best window of each run of consecutive windows at or above ``threshold``
    (windows sorted by start), in time order."""
    above = np.asarray(scores) >= threshold
    if not above.any():
        return np.zeros(0, np.int64)
    index = np.flatnonzero(above)
    breaks = np.flatnonzero(np.diff(index) > 1) + 1
    peaks = [int(run[np.argmax(np.asarray(scores)[run])]) for run in np.split(index, breaks)]
    return np.asarray(peaks, np.int64)


def next_high_score(
    starts: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    current: float | None,
    step: int = 1,
) -> int | None:
    """Index of the window to go to: the best window of the next (or previous) call above the
    threshold, after (before) the window starting at ``current``."""
    peaks = call_peaks(starts, scores, threshold)
    if not len(peaks):
        return None
    times = np.asarray(starts)[peaks]
    if current is None:
        return int(peaks[0] if step > 0 else peaks[-1])
    if step > 0:
        later = peaks[times > current + _EPS]
        return int(later[0]) if len(later) else None
    earlier = peaks[times < current - _EPS]
    return int(earlier[-1]) if len(earlier) else None
