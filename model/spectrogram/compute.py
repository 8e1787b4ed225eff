"""Computing one tile from a recording, at a cost that does not grow with the zoom level.

Each column is the maximum power of ``FRAMES_PER_COLUMN`` (or fewer) FFT frames spread evenly over
the samples the column stands for. Near full zoom those frames overlap and cover every sample;
zoomed far out they are short samples of a long stretch, read one by one, so a tile always
costs at most ``TILE_COLUMNS * FRAMES_PER_COLUMN`` FFTs and as many ``n_fft``-sample reads,
whether a column is 5 ms or 5 minutes. The maximum (not the mean) keeps short calls visible
when a whole night is on one screen.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

import numpy as np

from model.spectrogram.settings import DB_MIN, DB_STEP
from model.spectrogram.tiles import Tile, TileGrid, TileKey

#: FFT frames pooled into one column at coarse levels (bounds the cost of a tile).
FRAMES_PER_COLUMN = 4
#: Two wanted frames closer than this many FFT lengths apart are read in one go.
_MERGE_GAP_FFTS = 1


class FrameReader(Protocol):
    """What tile computation needs from ``model.audio.AudioFile``."""

    def read_frames(
        self, start_frame: int, n_frames: int, *, channel: int | None = None
    ) -> np.ndarray: ...


@lru_cache(maxsize=16)
def window_function(name: str, n: int) -> np.ndarray:
    """Periodic window (the DFT-even form spectral analysis wants), float32, read-only.

    NumPy's symmetric windows of length n+1 minus the last point are exactly the periodic ones;
    this avoids importing scipy.signal (about 0.3 s) before the first tile can be shown.
    """
    makers = {"hann": np.hanning, "hamming": np.hamming, "blackman": np.blackman}
    if name not in makers:
        raise ValueError(f"unknown window {name!r}")
    window = makers[name](n + 1)[:-1].astype(np.float32)
    window.setflags(write=False)
    return window


def frame_starts(key: TileKey, columns: int) -> np.ndarray:
    """First sample of every FFT frame of a tile, shape (columns, frames per column).

    Frames are centred at evenly spaced points inside each column, so at level 0 the single frame
    sits at the column centre and at levels 1-2 the frames are exactly the level-0 frames.
    """
    per_column = min(1 << key.level, FRAMES_PER_COLUMN)
    step = key.column_samples
    col_start = key.start_frame + step * np.arange(columns, dtype=np.int64)
    offsets = (np.arange(per_column, dtype=np.int64) * 2 + 1) * step // (2 * per_column)
    return col_start[:, None] + offsets[None, :] - key.n_fft // 2


def _read_span(reader: FrameReader, start: int, length: int, frames: int, channel: int | None):
    """Samples ``start``..``start+length``, zero outside the recording."""
    if start >= 0 and start + length <= frames:
        data = np.asarray(reader.read_frames(start, length, channel=channel), dtype=np.float32)
        if len(data) == length:
            return data
    out = np.zeros(length, dtype=np.float32)
    lo, hi = max(start, 0), min(start + length, frames)
    if hi > lo:
        data = np.asarray(reader.read_frames(lo, hi - lo, channel=channel), dtype=np.float32)
        n = min(len(data), hi - lo)
        out[lo - start : lo - start + n] = data[:n]
    return out


def read_frames_matrix(
    reader: FrameReader, starts: np.ndarray, n_fft: int, frames: int, channel: int | None
) -> np.ndarray:
    """All frames as one (n, n_fft) float32 matrix, reading runs of nearby frames together.

    Frames that overlap or nearly touch are read as one block (one call instead of hundreds at
    fine levels); far-apart frames are read alone, so at coarse levels nothing between them is
    read.
    """
    flat = starts.ravel()
    out = np.empty((len(flat), n_fft), dtype=np.float32)
    if len(flat) == 0:
        return out
    # starts are increasing by construction; a run ends where the next frame is far away
    gaps = np.diff(flat) > n_fft * (1 + _MERGE_GAP_FFTS)
    bounds = np.flatnonzero(gaps) + 1
    run_first = np.concatenate(([0], bounds))
    run_last = np.concatenate((bounds, [len(flat)]))
    for a, b in zip(run_first.tolist(), run_last.tolist(), strict=True):
        base = int(flat[a])
        span = _read_span(reader, base, int(flat[b - 1]) - base + n_fft, frames, channel)
        if b - a == 1:
            out[a] = span  # a lone frame (coarse levels): no window view to build
        else:
            windows = np.lib.stride_tricks.sliding_window_view(span, n_fft)
            out[a:b] = windows[flat[a:b] - base]
    return out


def compute_tile(reader: FrameReader, grid: TileGrid, key: TileKey) -> Tile:
    """The tile ``key`` of the recording behind ``reader`` (see the module docstring)."""
    columns = grid.tile_columns(key)
    starts = frame_starts(key, columns)
    matrix = read_frames_matrix(reader, starts, key.n_fft, grid.frames, key.channel)
    window = window_function(key.window, key.n_fft)
    matrix *= window
    spectrum = np.fft.rfft(matrix, axis=1)
    power = spectrum.real**2 + spectrum.imag**2
    del spectrum
    power = power.reshape(columns, starts.shape[1], -1).max(axis=1)
    # amplitude of a full-scale sine becomes 1 (0 dB): |X| * 2 / sum(window)
    power *= (2.0 / float(window.sum())) ** 2
    db = 10.0 * np.log10(np.maximum(power, 1e-30))
    codes = np.clip(np.rint((db - DB_MIN) / DB_STEP), 0, 255).astype(np.uint8)
    codes = np.ascontiguousarray(codes.T)
    codes.setflags(write=False)
    start_s, end_s = grid.tile_seconds(key)
    return Tile(key, codes, start_s, end_s, grid.sample_rate)
