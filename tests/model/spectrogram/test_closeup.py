"""The clip close-up: finer in time than the view, the same dB codes, context either side."""

from __future__ import annotations

import numpy as np

from model.spectrogram import DB_MIN, DB_STEP
from model.spectrogram.closeup import OVERLAP, PAD_S, compute_closeup


class ArrayReader:
    def __init__(self, samples: np.ndarray) -> None:
        self.samples = samples

    def read_frames(self, start: int, n: int, *, channel: int | None = None) -> np.ndarray:
        return self.samples[start : start + n]


def test_a_tone_in_the_clip_shows_at_its_frequency_and_time() -> None:
    rate, n_fft = 22050, 1024
    t = np.arange(10 * rate) / rate
    samples = np.zeros_like(t, dtype=np.float32)
    burst = (t >= 4.5) & (t < 5.0)
    samples[burst] = 0.5 * np.sin(2 * np.pi * 3000.0 * t[burst])
    closeup = compute_closeup(ArrayReader(samples), rate, len(samples), 4.0, 6.0, n_fft=n_fft)
    assert closeup.clip == (4.0, 6.0)
    assert abs(closeup.t0 - (4.0 - PAD_S)) < 1e-6 and abs(closeup.t1 - (6.0 + PAD_S)) < 0.01
    bins, columns = closeup.codes.shape
    assert bins == n_fft // 2 + 1
    assert columns >= (2 + 2 * PAD_S) * rate / (n_fft / OVERLAP) - 2  # 16 frames per FFT length
    peak_bin = int(np.argmax(closeup.codes.max(axis=1)))
    assert abs(peak_bin * rate / n_fft - 3000.0) < rate / n_fft
    times = closeup.t0 + (np.arange(columns) + 0.5) * (closeup.t1 - closeup.t0) / columns
    loud = times[closeup.codes[peak_bin] > (-40 - DB_MIN) / DB_STEP]
    assert 4.45 < loud.min() and loud.max() < 5.05  # where the burst is, not smeared
    # a full-scale-ish sine reads about -6 dB, as in the view's tiles
    level = DB_MIN + closeup.codes[peak_bin].max() * DB_STEP
    assert -9.0 < level < -3.0


def test_context_stops_at_the_ends_of_the_recording() -> None:
    rate = 8000
    samples = np.zeros(3 * rate, np.float32)
    closeup = compute_closeup(ArrayReader(samples), rate, len(samples), 0.0, 2.0, n_fft=256)
    assert closeup.t0 == 0.0 and closeup.t1 <= 2.0 + PAD_S + 1e-6
    late = compute_closeup(ArrayReader(samples), rate, len(samples), 2.0, 4.0, n_fft=256)
    assert late.t1 <= 3.0 + 256 / rate  # a clip running past the end: silence, not more
