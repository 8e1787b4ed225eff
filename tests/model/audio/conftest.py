"""Recordings generated per test session: every format × sample rate × channel count we support.

Channel 0 carries a 440 Hz tone and channel 1 a 1000 Hz tone (each with a little seeded noise so
that a sample taken from the wrong position cannot match), so tests can tell channel selection
from mix-down and check that resampling keeps a tone's frequency.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

DURATION = 1.5
RATES = (8000, 22050, 44100, 48000, 384000)
# (label, soundfile format, subtype, highest rate the codec accepts). libvorbis crashes the
# process when asked to encode 384 kHz and MPEG audio stops at 48 kHz, so those are left out.
KINDS = (
    ("wav16", "WAV", "PCM_16", 384000),
    ("wavfloat", "WAV", "FLOAT", 384000),
    ("flac", "FLAC", "PCM_16", 384000),
    ("ogg", "OGG", "VORBIS", 192000),
    ("mp3", "MP3", "MPEG_LAYER_III", 48000),
)
EXT = {"WAV": ".wav", "FLAC": ".flac", "OGG": ".ogg", "MP3": ".mp3"}
TONES = (440.0, 1000.0)


def signal(rate: int, channels: int, duration: float = DURATION) -> np.ndarray:
    """(frames, channels) float32 test signal; channel c is a TONES[c] tone plus noise."""
    t = np.arange(round(duration * rate)) / rate
    rng = np.random.default_rng(rate + channels)
    cols = [
        (0.4 if c == 0 else 0.3) * np.sin(2 * np.pi * TONES[c] * t)
        + 0.05 * rng.standard_normal(len(t))
        for c in range(channels)
    ]
    return np.stack(cols, axis=1).astype(np.float32)


@dataclass(frozen=True)
class Made:
    path: Path
    kind: str
    format: str
    subtype: str
    rate: int
    channels: int
    data: np.ndarray  # what was written, (frames, channels)

    @property
    def lossy(self) -> bool:
        return self.format in ("OGG", "MP3")


def write(path: Path, data: np.ndarray, rate: int, fmt: str = "WAV", subtype: str = "PCM_16"):
    sf.write(str(path), data, rate, format=fmt, subtype=subtype)
    return path


def _cases() -> list[tuple[str, str, str, int, int]]:
    out = []
    for kind, fmt, subtype, max_rate in KINDS:
        for rate in RATES:
            if rate <= max_rate:
                for channels in (1, 2):
                    out.append((kind, fmt, subtype, rate, channels))
    return out


CASES = _cases()
CASE_IDS = [f"{k}-{r}-{c}ch" for k, _, _, r, c in CASES]


@pytest.fixture(scope="session")
def made_files(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int, int], Made]:
    """All generated recordings keyed by (kind, rate, channels)."""
    folder = tmp_path_factory.mktemp("audio_matrix")
    made = {}
    for kind, fmt, subtype, rate, channels in CASES:
        data = signal(rate, channels)
        path = write(folder / f"{kind}_{rate}_{channels}ch{EXT[fmt]}", data, rate, fmt, subtype)
        made[(kind, rate, channels)] = Made(path, kind, fmt, subtype, rate, channels, data)
    return made


@pytest.fixture(params=CASES, ids=CASE_IDS)
def made(request: pytest.FixtureRequest, made_files: dict) -> Made:
    kind, _, _, rate, channels = request.param
    return made_files[(kind, rate, channels)]


def decoded(path: Path) -> np.ndarray:
    """The whole file decoded front to back: the reference a span read must match exactly."""
    return sf.read(str(path), dtype="float32", always_2d=True)[0]
