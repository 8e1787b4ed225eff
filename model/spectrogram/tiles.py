"""Where tiles are: a pyramid of zoom levels, each cut into fixed-width blocks of columns.

At level ``k`` one image column stands for ``hop * 2**k`` samples, and a tile is
``TILE_COLUMNS`` consecutive columns. The view picks the level whose column spacing is closest to
one screen pixel, so the number of columns drawn depends on the screen width, never on the file
length, and a tile computed once is reused while scrolling (tiles have fixed boundaries). The
whole addressing is integer sample arithmetic so that tile edges line up exactly at every level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.spectrogram.settings import code_to_db

#: Columns per tile: wide enough that a screen shows a handful of tiles, narrow enough that one
#: tile costs a few tens of milliseconds.
TILE_COLUMNS = 256
#: Deepest level offered (2**30 hops: far beyond any real recording).
MAX_LEVEL = 30


@dataclass(frozen=True, order=True)
class TileKey:
    """Names one tile completely, so a cache can be shared by files and settings.

    ``source`` is the recording path as text; ``n_fft``/``window``/``channel`` are the settings
    that change tile contents.
    """

    source: str
    n_fft: int
    window: str
    channel: int | None
    level: int
    index: int

    @property
    def hop(self) -> int:
        return self.n_fft // 4

    @property
    def column_samples(self) -> int:
        return self.hop << self.level

    @property
    def start_frame(self) -> int:
        return self.index * TILE_COLUMNS * self.column_samples


@dataclass(frozen=True)
class TileGrid:
    """Addressing of one recording at one FFT size: which tiles cover which seconds."""

    source: str
    sample_rate: int
    frames: int
    n_fft: int = 1024
    window: str = "hann"
    channel: int | None = None

    @property
    def hop(self) -> int:
        return self.n_fft // 4

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate

    @property
    def nyquist(self) -> float:
        return self.sample_rate / 2.0

    @property
    def max_level(self) -> int:
        """The first level at which one tile holds the whole recording."""
        per_tile = TILE_COLUMNS * self.hop
        if self.frames <= per_tile:
            return 0
        return min(MAX_LEVEL, math.ceil(math.log2(self.frames / per_tile)))

    def key(self, level: int, index: int) -> TileKey:
        return TileKey(self.source, self.n_fft, self.window, self.channel, level, index)

    def column_seconds(self, level: int) -> float:
        return (self.hop << level) / self.sample_rate

    def tile_count(self, level: int) -> int:
        per_tile = TILE_COLUMNS * (self.hop << level)
        return max(1, -(-self.frames // per_tile))

    def level_for(self, seconds: float, pixels: float) -> int:
        """Level whose column spacing is nearest one pixel when ``seconds`` fill ``pixels``.

        Rounding in log space keeps between about 0.7 and 1.4 columns per pixel: sharp enough,
        and never more than 1.4x the work of an exact fit.
        """
        if seconds <= 0 or pixels <= 0:
            return 0
        samples_per_pixel = seconds * self.sample_rate / pixels
        level = round(math.log2(max(samples_per_pixel / self.hop, 1e-12)))
        return int(min(max(level, 0), self.max_level))

    def keys_for(self, t0: float, t1: float, level: int) -> list[TileKey]:
        """Tiles at ``level`` that overlap ``t0``..``t1`` seconds, nearest the centre first.

        Centre-first order is the order the worker computes them in: what the eye is on appears
        first when a view opens or jumps.
        """
        per_tile = TILE_COLUMNS * (self.hop << level) / self.sample_rate
        last = self.tile_count(level) - 1
        first_i = min(max(int(math.floor(max(t0, 0.0) / per_tile)), 0), last)
        last_i = min(max(int(math.ceil(t1 / per_tile)) - 1, first_i), last)
        centre = (t0 + t1) / 2.0
        indices = range(first_i, last_i + 1)
        order = sorted(indices, key=lambda i: abs((i + 0.5) * per_tile - centre))
        return [self.key(level, i) for i in order]

    def tile_columns(self, key: TileKey) -> int:
        """Columns in a tile: TILE_COLUMNS except for the last tile, which stops at the end."""
        remaining = self.frames - key.start_frame
        return int(min(TILE_COLUMNS, max(1, -(-remaining // key.column_samples))))

    def tile_seconds(self, key: TileKey) -> tuple[float, float]:
        start = key.start_frame
        end = start + self.tile_columns(key) * key.column_samples
        return start / self.sample_rate, end / self.sample_rate


@dataclass(frozen=True, eq=False)
class Tile:
    """A computed tile: uint8 dB codes, rows = frequency bins (0 Hz first), columns = time.

    ``codes`` is C-contiguous and read-only so the GUI can hand it to an image item without a
    copy and nobody can change a cached tile under another reader.
    """

    key: TileKey
    codes: np.ndarray
    start_s: float
    end_s: float
    sample_rate: int

    @property
    def nbytes(self) -> int:
        return int(self.codes.nbytes)

    @property
    def bin_hz(self) -> float:
        return self.sample_rate / self.key.n_fft

    @property
    def columns(self) -> int:
        return int(self.codes.shape[1])

    def contains(self, t: float, f: float) -> bool:
        return self.start_s <= t < self.end_s and -self.bin_hz / 2 <= f < self.sample_rate / 2

    def db_at(self, t: float, f: float) -> float:
        """Level in dB at time ``t`` s and frequency ``f`` Hz; NaN outside the tile."""
        if not self.contains(t, f):
            return math.nan
        col = int((t - self.start_s) / (self.end_s - self.start_s) * self.columns)
        row = int(round(f / self.bin_hz))
        col = min(max(col, 0), self.columns - 1)
        row = min(max(row, 0), self.codes.shape[0] - 1)
        return float(code_to_db(self.codes[row, col]))
