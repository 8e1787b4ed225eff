"""A close-up spectrogram of one clip: eight times finer in time than the view at full zoom.

The scrolling view shows columns ``n_fft / 4`` samples apart at its finest; checking whether a
two-second clip holds a call wants more detail than that, and some context either side. This
computes the clip (plus ``pad_s`` before and after) with frames ``n_fft / 16`` apart, in the
same dB codes as the view's tiles, so the view's colour map and floor/ceiling apply unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.spectrogram.compute import FrameReader, read_frames_matrix, window_function
from model.spectrogram.settings import DB_MIN, DB_STEP

#: Frames per FFT length: 16 gives 4 ms steps at 48 kHz with a 1024-point FFT.
OVERLAP = 16
#: Context shown either side of the clip, seconds.
PAD_S = 0.5
#: Columns a close-up is thinned to at most (a long imported annotation stays cheap).
MAX_COLUMNS = 2000


@dataclass(frozen=True)
class Closeup:
    """``codes``: uint8 dB codes, (frequency bins, columns); times of the first and last
    column edges in seconds; the Nyquist frequency of the recording."""

    codes: np.ndarray
    t0: float
    t1: float
    nyquist: float
    clip: tuple[float, float]


def compute_closeup(
    reader: FrameReader,
    sample_rate: int,
    frames: int,
    start_s: float,
    end_s: float,
    *,
    n_fft: int = 1024,
    window: str = "hann",
    channel: int | None = None,
    pad_s: float = PAD_S,
) -> Closeup:
    """The close-up of ``start_s``..``end_s`` (reads outside the recording are silence)."""
    t0 = max(start_s - pad_s, 0.0)
    t1 = min(end_s + pad_s, frames / sample_rate) if frames else end_s + pad_s
    t1 = max(t1, t0 + n_fft / sample_rate)
    first, last = int(round(t0 * sample_rate)), int(round(t1 * sample_rate))
    hop = max(n_fft // OVERLAP, (last - first) // MAX_COLUMNS, 1)
    centres = np.arange(first + hop // 2, last, hop, dtype=np.int64)
    matrix = read_frames_matrix(reader, centres - n_fft // 2, n_fft, frames, channel)
    taper = window_function(window, n_fft)
    matrix *= taper
    spectrum = np.fft.rfft(matrix, axis=1)
    power = spectrum.real**2 + spectrum.imag**2
    power *= (2.0 / float(taper.sum())) ** 2
    db = 10.0 * np.log10(np.maximum(power, 1e-30))
    codes = np.clip(np.rint((db - DB_MIN) / DB_STEP), 0, 255).astype(np.uint8)
    return Closeup(
        np.ascontiguousarray(codes.T),
        first / sample_rate,
        (first + hop * len(centres)) / sample_rate,
        sample_rate / 2.0,
        (start_s, end_s),
    )
