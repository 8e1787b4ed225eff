"""A generated recording with calls at known times and frequencies, and a shown view."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app.spectrogram import SpectrogramView

SAMPLE_RATE = 22050
DURATION = 120.0
TONE_HZ = 4000.0
#: (start s, end s) of the 4 kHz calls
CALLS = ((10.0, 12.0), (60.0, 61.0), (100.0, 101.5))


@pytest.fixture(scope="session")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two minutes of quiet noise (about -75 dB per bin) with loud 4 kHz calls; AudioMoth name."""
    path = tmp_path_factory.mktemp("rec") / "20240501_053000.WAV"
    rng = np.random.default_rng(7)
    n = int(DURATION * SAMPLE_RATE)
    data = (rng.standard_normal(n) * 3e-3).astype(np.float32)
    t = np.arange(n) / SAMPLE_RATE
    for a, b in CALLS:
        on = (t >= a) & (t < b)
        data[on] += 0.3 * np.sin(2 * np.pi * TONE_HZ * t[on]).astype(np.float32)
    sf.write(path, data, SAMPLE_RATE, subtype="PCM_16")
    return path


RECORDING_START = datetime(2024, 5, 1, 5, 30, tzinfo=UTC)


@pytest.fixture
def view(qtbot) -> SpectrogramView:
    widget = SpectrogramView()
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.shutdown()
