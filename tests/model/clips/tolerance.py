"""How close two drawings of the same clip must be where float32 roundings may differ.

Images of one window can come from two routes that round differently: the fast path against the
image as drawn before it (``reference_v1``), a span resampled once against the clip resampled
on its own (``AudioFile.read``). A pixel may then land one colour-table step away (a level right
on a rounding edge; one step is 0.24 dB), in a handful of pixels per million; anything more is
a real difference. ``test_fast_path.py`` shows what such differences do to a model's scores.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: Colour-table steps a pixel may move by.
MAX_STEP = 1
#: Share of pixels that may move at all.
MAX_SHARE = 1e-4


def assert_same_picture(
    ours: np.ndarray, theirs: np.ndarray, levels: Callable[[np.ndarray], np.ndarray]
) -> None:
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype == np.uint8
    a, b = levels(ours).astype(np.int64), levels(theirs).astype(np.int64)
    step = np.abs(a - b)
    # ``levels`` maps a colour the table holds twice to one index: a pixel can read 2 steps off.
    moved = (ours != theirs).any(axis=-1)
    assert step.max(initial=0) <= MAX_STEP + 1, f"a pixel moved {step.max()} colour steps"
    assert moved.mean() <= MAX_SHARE, f"{moved.sum()} of {moved.size} pixels differ"
