"""Detection bands: the top class of a window, its threshold, and merging of overlapping windows."""

from __future__ import annotations

import numpy as np

from app.ml.detections import Detection, detections


def test_only_the_top_class_above_its_threshold_makes_a_band() -> None:
    starts = np.array([0.0, 2.0, 4.0, 6.0])
    scores = np.array(
        [
            [0.9, 0.1],  # class 10 wins, passes 0.5
            [0.6, 0.7],  # class 20 wins but its threshold is 0.8: nothing, class 10 not asked
            [0.2, 0.95],  # class 20 passes
            [0.3, 0.4],  # nobody passes
        ],
        dtype=np.float32,
    )
    bands = detections(starts, [10, 20], scores, {20: 0.8}, clip_seconds=2.0)
    assert bands == [
        Detection(0.0, 2.0, 10, np.float32(0.9).item()),
        Detection(4.0, 6.0, 20, np.float32(0.95).item()),
    ]


def test_overlapping_windows_of_one_class_merge_and_keep_the_best_score() -> None:
    starts = np.arange(0.0, 8.0, 1.0)  # hop 1 s, 2-s windows overlap
    scores = np.array([[0.1], [0.6], [0.8], [0.7], [0.2], [0.9], [0.1], [0.1]], np.float32)
    bands = detections(starts, [1], scores, {1: 0.5}, clip_seconds=2.0)
    # windows 1-3 overlap (1..5) and window 5 starts exactly where they end: one band
    assert [(b.start, b.end) for b in bands] == [(1.0, 7.0)]
    assert bands[0].score == np.float32(0.9).item()


def test_windows_out_of_order_and_empty_input() -> None:
    scores = np.array([[0.9], [0.9]], np.float32)
    bands = detections(np.array([10.0, 0.0]), [3], scores, {}, clip_seconds=2.0)
    assert [(b.start, b.end) for b in bands] == [(0.0, 2.0), (10.0, 12.0)]
    assert detections(np.zeros(0), [], np.zeros((0, 0)), {}, 2.0) == []
