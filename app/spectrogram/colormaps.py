"""256-entry colour lookup tables for the spectrogram, by the names in ``model.spectrogram``."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyqtgraph as pg

from model.spectrogram import COLORMAPS


@lru_cache(maxsize=len(COLORMAPS))
def lookup_table(name: str) -> np.ndarray:
    """(256, 3) uint8 RGB table, read-only; ``grey_r`` is white background, black calls."""
    if name not in COLORMAPS:
        raise ValueError(f"unknown colour map {name!r}; choose one of {COLORMAPS}")
    if name in ("grey", "grey_r"):
        ramp = np.arange(256, dtype=np.uint8)
        if name == "grey_r":
            ramp = ramp[::-1]
        table = np.repeat(ramp[:, None], 3, axis=1)
    else:
        table = pg.colormap.get(name).getLookupTable(0.0, 1.0, 256, alpha=False)
    table = np.ascontiguousarray(table, dtype=np.uint8)
    table.setflags(write=False)
    return table
