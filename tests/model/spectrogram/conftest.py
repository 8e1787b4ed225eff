"""Generated recordings with known content for the tile tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf


def write_tone(
    path: Path,
    *,
    seconds: float,
    sample_rate: int = 48000,
    freq: float = 3000.0,
    amplitude: float = 0.5,
    channels: int = 1,
    tone_channel: int = 0,
) -> Path:
    """A sine of known level in one channel, silence in the others, 16-bit PCM."""
    n = int(round(seconds * sample_rate))
    t = np.arange(n) / sample_rate
    data = np.zeros((n, channels), dtype=np.float32)
    data[:, tone_channel] = amplitude * np.sin(2 * np.pi * freq * t)
    sf.write(path, data, sample_rate, subtype="PCM_16")
    return path


@pytest.fixture
def tone_file(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str = "tone.wav", **kw: object) -> Path:
        return write_tone(tmp_path / name, **kw)  # type: ignore[arg-type]

    return make
