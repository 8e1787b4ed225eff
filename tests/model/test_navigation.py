"""Where the navigation keys go, on plain arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.clips.geometry import ClipGeometry
from model.navigation import call_peaks, next_high_score, next_unlabelled


@dataclass
class Span:
    start: float
    end: float


def test_next_unlabelled_skips_clips_the_training_already_has() -> None:
    grid = ClipGeometry(2.0, 1.0)
    labels = [Span(0.0, 2.0), Span(1.0, 3.0), Span(6.0, 8.0)]
    # windows 0-2, 1-3, 2-4 (half covered) are labelled; 5-7 and 7-9 half covered too
    assert next_unlabelled(grid, 10.0, labels, None) == 3.0
    assert next_unlabelled(grid, 10.0, labels, 3.0) == 4.0
    assert next_unlabelled(grid, 10.0, labels, 4.0) == 8.0
    assert next_unlabelled(grid, 10.0, labels, 8.0) is None  # the last window: no further
    assert next_unlabelled(grid, 10.0, labels, 8.0, step=-1) == 4.0
    assert next_unlabelled(grid, 10.0, labels, 3.0, step=-1) is None
    assert next_unlabelled(grid, 10.0, labels, None, step=-1) == 8.0
    # a label that only grazes a window (0.2 s of 0-2 s) leaves it to label; a short call
    # lying in it counts (the review queue's and the training set's rule)
    assert next_unlabelled(grid, 10.0, [Span(1.8, 3.8)], None) == 0.0
    assert next_unlabelled(grid, 10.0, [Span(0.2, 0.7)], None) == 1.0


def test_next_unlabelled_on_the_clip_grid_without_snapping() -> None:
    grid = ClipGeometry(2.0, 2.0)  # arrow keys step by a clip when not snapping
    assert next_unlabelled(grid, 9.0, [Span(2.0, 4.0)], 0.0) == 4.0
    assert next_unlabelled(grid, 9.0, [], 6.0) == 8.0  # the last clip runs past the end


def test_high_scores_are_taken_one_call_at_a_time_at_the_best_window() -> None:
    starts = np.arange(8.0)
    scores = np.array([0.1, 0.6, 0.9, 0.7, 0.1, 0.8, 0.2, 0.55])
    assert call_peaks(starts, scores, 0.5).tolist() == [2, 5, 7]
    assert next_high_score(starts, scores, 0.5, None) == 2
    assert next_high_score(starts, scores, 0.5, 1.0) == 2  # inside the call, before its best
    assert next_high_score(starts, scores, 0.5, 2.0) == 5
    assert next_high_score(starts, scores, 0.5, 7.0) is None
    assert next_high_score(starts, scores, 0.5, 5.0, step=-1) == 2
    assert next_high_score(starts, scores, 0.95, None) is None
    assert next_high_score(starts, scores, 0.5, None, step=-1) == 7
