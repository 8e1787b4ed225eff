"""Where a call lies in a clip image, so a test can measure that the image shows it."""

from __future__ import annotations

import math

import numpy as np

from model.clips.filters import hz_to_mel
from model.clips.settings import ClipSettings


def _row(hz: float, settings: ClipSettings) -> float:
    """Image row (0 = top = fmax) of a frequency, on the image's mel axis."""
    lo, hi = hz_to_mel(np.array([settings.fmin, settings.fmax]))
    clamped = min(max(hz, settings.fmin), settings.fmax)
    mel = hz_to_mel(np.array([clamped]))[0]
    return (1.0 - (mel - lo) / (hi - lo)) * settings.image_size


def box_mask(boxes: list[tuple[float, float, float, float]], settings: ClipSettings) -> np.ndarray:
    """(size, size) bool: the pixels of (start s, end s, low Hz, high Hz) boxes in one clip."""
    size = settings.image_size
    mask = np.zeros((size, size), bool)
    for start, end, low, high in boxes:
        c0 = max(0, math.floor(start / settings.clip_seconds * size))
        c1 = min(size, math.ceil(end / settings.clip_seconds * size) + 1)
        r0 = max(0, math.floor(_row(high, settings)))
        r1 = min(size, math.ceil(_row(low, settings)) + 1)
        mask[r0:r1, c0:c1] = True
    return mask
