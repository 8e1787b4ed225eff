"""What the spectrogram view shows, as one frozen value the GUI and the tile code share.

Only ``n_fft``, ``window`` and ``channel`` change the numbers in a tile; dB floor/ceiling and the
colour map are applied at display time (as image levels and a lookup table), so dragging the
contrast sliders never recomputes anything. Tiles store dB quantised to 256 codes over a fixed
range (``DB_MIN``..``DB_MAX``, 0.6 dB a step) for that reason: a uint8 tile is a quarter the size
of float32, and any floor/ceiling inside the range maps to a pair of code levels.

dB are absolute, as in ``model.clips.settings``: 0 dB is a full-scale sine, so quiet recordings
look quiet and the same floor/ceiling mean the same loudness in every file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

#: The FFT sizes the view offers (powers of two: fast FFTs and a hop that divides evenly).
FFT_SIZES: tuple[int, ...] = (256, 512, 1024, 2048, 4096)
#: Window functions a tile can use.
WINDOWS: tuple[str, ...] = ("hann", "hamming", "blackman")
#: Colour maps the view offers; names understood by ``pyqtgraph.colormap.get`` except the greys.
COLORMAPS: tuple[str, ...] = ("magma", "inferno", "viridis", "plasma", "cividis", "grey", "grey_r")

#: dB range stored in a tile; code 0 means "at or below DB_MIN" (digital silence included).
DB_MIN = -150.0
DB_MAX = 3.0
DB_STEP = (DB_MAX - DB_MIN) / 255.0


def db_to_code(db: float | np.ndarray) -> Any:
    """Fractional code of a dB value (for image levels); not clipped, so levels stay linear."""
    return (np.asarray(db, dtype=np.float64) - DB_MIN) / DB_STEP


def code_to_db(code: int | np.ndarray) -> Any:
    """dB value a stored code stands for (the centre of its 0.6 dB step)."""
    return DB_MIN + np.asarray(code, dtype=np.float64) * DB_STEP


@dataclass(frozen=True)
class SpectrogramSettings:
    """Display settings of one spectrogram view (see the module docstring for what each costs).

    Defaults: a 1024-point Hann FFT (21 ms at 48 kHz, 47 Hz bins) suits bird song; -100..-20 dB
    keeps 16-bit field background dark and calls bright (same as the clip images); magma gives a
    dark background on which faint calls still show. ``freq_max`` None means the Nyquist frequency.
    ``channel`` None mixes all channels, as ``AudioFile.read_frames`` does.
    """

    n_fft: int = 1024
    window: str = "hann"
    db_floor: float = -100.0
    db_ceiling: float = -20.0
    colormap: str = "magma"
    freq_min: float = 0.0
    freq_max: float | None = None
    channel: int | None = None

    def __post_init__(self) -> None:
        if self.n_fft not in FFT_SIZES:
            raise ValueError(f"FFT size must be one of {FFT_SIZES}, got {self.n_fft!r}")
        if self.window not in WINDOWS:
            raise ValueError(f"window must be one of {WINDOWS}, got {self.window!r}")
        if self.colormap not in COLORMAPS:
            raise ValueError(f"colour map must be one of {COLORMAPS}, got {self.colormap!r}")
        for name in ("db_floor", "db_ceiling", "freq_min"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number")
        if not self.db_floor < self.db_ceiling:
            raise ValueError(
                f"dB floor ({self.db_floor}) must be below the ceiling ({self.db_ceiling})"
            )
        if self.freq_min < 0 or (self.freq_max is not None and self.freq_max <= self.freq_min):
            raise ValueError(f"bad frequency range {self.freq_min}..{self.freq_max} Hz")
        if self.channel is not None and self.channel < 0:
            raise ValueError(f"channel must be >= 0 or None, got {self.channel}")

    @property
    def hop(self) -> int:
        """Samples between columns at level 0 (75 % overlap: smooth in time at full zoom)."""
        return self.n_fft // 4

    def code_levels(self) -> tuple[float, float]:
        """Image levels (in tile codes) that map floor..ceiling onto the whole colour map."""
        return float(db_to_code(self.db_floor)), float(db_to_code(self.db_ceiling))

    def with_changes(self, **changes: Any) -> SpectrogramSettings:
        """A copy with some fields changed; None values mean "leave as is"."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
