"""Training keeps each window's features with that window, however long the recordings are."""

from __future__ import annotations

import numpy as np

from model.ml.dataset import Examples
from model.ml.train import _keep_classes


def test_windows_past_27_8_hours_keep_their_own_features() -> None:
    # Recording 1 is 30 h long: its window at 100,000 s once shared a key (rid * 1e8 + ms) with
    # recording 2's window at 0 s, so dropping one dropped or kept the other's features too.
    examples = Examples(
        recording_ids=np.array([1, 2, 2], np.int64),
        starts=np.array([100_000.0, 0.0, 1.0]),
        targets=np.array([[1, -1], [-1, 1], [0, 0]], np.int8),
        class_ids=(10, 20),
        class_names=("owl", "wren"),
        clip_seconds=2.0,
    )
    features = np.array([[1.0], [2.0], [3.0]], np.float32)
    kept, kept_features = _keep_classes(examples, features, np.array([False, True]))
    assert kept.recording_ids.tolist() == [2, 2]
    assert kept_features[:, 0].tolist() == [2.0, 3.0]
    kept, kept_features = _keep_classes(examples, features, np.array([True, False]))
    assert list(zip(kept.recording_ids.tolist(), kept_features[:, 0].tolist(), strict=True)) == [
        (1, 1.0),
        (2, 3.0),
    ]
