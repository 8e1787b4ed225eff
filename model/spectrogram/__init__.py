"""Spectrogram tiles for the scrolling view, computed without Qt.

``TileGrid`` says which tiles cover a stretch of time at a zoom level, ``compute_tile`` makes one
from an open recording, and ``TileCache`` keeps recent tiles within a byte budget. The Qt view in
``app.spectrogram`` drives these from a worker thread.
"""

from __future__ import annotations

from model.spectrogram.cache import DEFAULT_BUDGET_BYTES, TileCache
from model.spectrogram.compute import FRAMES_PER_COLUMN, compute_tile, frame_starts
from model.spectrogram.settings import (
    COLORMAPS,
    DB_MAX,
    DB_MIN,
    DB_STEP,
    FFT_SIZES,
    WINDOWS,
    SpectrogramSettings,
    code_to_db,
    db_to_code,
)
from model.spectrogram.tiles import MAX_LEVEL, TILE_COLUMNS, Tile, TileGrid, TileKey

__all__ = [
    "COLORMAPS",
    "DB_MAX",
    "DB_MIN",
    "DB_STEP",
    "DEFAULT_BUDGET_BYTES",
    "FFT_SIZES",
    "FRAMES_PER_COLUMN",
    "MAX_LEVEL",
    "TILE_COLUMNS",
    "WINDOWS",
    "SpectrogramSettings",
    "Tile",
    "TileCache",
    "TileGrid",
    "TileKey",
    "code_to_db",
    "compute_tile",
    "db_to_code",
    "frame_starts",
]
