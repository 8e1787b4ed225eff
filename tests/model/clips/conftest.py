"""Fixtures for clip-image tests: synthetic recordings on disk and a pixel -> level inverse."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from model.clips import ClipSettings
from model.clips.image import colour_lut


@pytest.fixture(scope="session")
def settings() -> ClipSettings:
    return ClipSettings()


@pytest.fixture
def write_wav(tmp_path: Path) -> Callable[..., Path]:
    """write_wav(samples, rate, name="x.wav", subtype="FLOAT") -> path; 2-D = (frames, channels)."""

    def write(samples: np.ndarray, rate: int, name: str = "x.wav", subtype: str = "FLOAT") -> Path:
        path = tmp_path / name
        sf.write(str(path), np.asarray(samples, dtype=np.float32), rate, subtype=subtype)
        return path

    return write


@pytest.fixture(scope="session")
def levels(settings: ClipSettings) -> Callable[[np.ndarray], np.ndarray]:
    """Image (H, W, 3) -> (H, W) colour-table index 0..255, i.e. brightness on the dB scale.

    Rounded viridis has a couple of duplicate colours; they map to a neighbouring index, which
    is immaterial for brightness comparisons.
    """
    lut = colour_lut(settings.colormap).astype(np.int64)
    keys = (lut[:, 0] << 16) | (lut[:, 1] << 8) | lut[:, 2]
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]

    def to_levels(image: np.ndarray) -> np.ndarray:
        img = image.astype(np.int64)
        k = (img[..., 0] << 16) | (img[..., 1] << 8) | img[..., 2]
        pos = np.searchsorted(sorted_keys, k)
        assert np.array_equal(sorted_keys[pos], k), "pixel colour not in the colour table"
        return order[pos]

    return to_levels
