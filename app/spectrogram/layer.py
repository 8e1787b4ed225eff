"""Puts cached tiles on screen as a small, reused set of ``TileItem``s.

Only tiles in view get an image item, so the number of items (and their QImages) depends on the
screen width, not the recording length. While a wanted tile is still being computed the layer
keeps whatever was on screen there (the previous zoom level, or the previous FFT size) and, under
that, the coarse overview tiles, so zooming never flashes black.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pyqtgraph as pg

from app.spectrogram.colormaps import lookup_table
from app.spectrogram.tile_item import TileItem, colour_table
from model.spectrogram import Tile, TileCache, TileGrid, TileKey

Z_EXACT = -10.0
Z_STALE = -20.0
Z_FALLBACK = -30.0
#: Image items kept ready for reuse beyond those on screen.
_SPARE_ITEMS = 8
#: At most this many stale items are kept (each screen needs about ten tiles).
_MAX_STALE = 24


class TileLayer:
    """The tile images of one view box; ``show`` is cheap when nothing changed."""

    def __init__(self, view_box: pg.ViewBox, cache: TileCache) -> None:
        self._vb = view_box
        self._cache = cache
        self._shown: dict[TileKey, tuple[TileItem, Tile]] = {}
        self._spare: list[TileItem] = []
        self._table = colour_table(lookup_table("grey"), (0.0, 255.0))  # until set_display
        self.missing: list[TileKey] = []

    @property
    def shown_keys(self) -> set[TileKey]:
        return set(self._shown)

    def items(self) -> list[TileItem]:
        return [item for item, _ in self._shown.values()]

    def set_display(self, lut: np.ndarray, levels: tuple[float, float]) -> None:
        """Colour map (256x3 uint8) and the tile codes that map to its ends."""
        self._table = colour_table(lut, levels)
        for item, _ in self._shown.values():
            item.set_table(self._table)

    @property
    def table(self) -> np.ndarray:
        return self._table

    def clear(self) -> None:
        self.show(None, [], [])

    def show(
        self, grid: TileGrid | None, wanted: list[TileKey], fallback: Iterable[TileKey] = ()
    ) -> list[TileKey]:
        """Display the cached ``wanted`` tiles; returns those still missing.

        Where tiles are missing, stale items already on screen there stay, and cached
        ``fallback`` tiles (the overview level) fill what is left underneath.
        """
        desired: dict[TileKey, tuple[Tile, float]] = {}
        missing: list[TileKey] = []
        for key in wanted:
            tile = self._cache.get(key)
            if tile is None and key in self._shown:
                tile = self._shown[key][1]  # evicted from the cache but still on screen
            if tile is None:
                missing.append(key)
            else:
                desired[key] = (tile, Z_EXACT)
        if missing and grid is not None:
            spans = [grid.tile_seconds(k) for k in missing]

            def overlaps(tile: Tile) -> bool:
                return any(tile.start_s < b and tile.end_s > a for a, b in spans)

            stale = [
                (key, tile)
                for key, (_, tile) in self._shown.items()
                if key not in desired and key.source == grid.source and overlaps(tile)
            ]
            for key, tile in stale[:_MAX_STALE]:
                desired[key] = (tile, Z_STALE)
            for key in fallback:
                tile = self._cache.peek(key)
                if key not in desired and tile is not None and overlaps(tile):
                    desired[key] = (tile, Z_FALLBACK)
        self._apply(desired)
        self.missing = missing
        return missing

    def _apply(self, desired: dict[TileKey, tuple[Tile, float]]) -> None:
        for key in [k for k in self._shown if k not in desired]:
            item, _ = self._shown.pop(key)
            item.hide()
            item.release()
            if len(self._spare) < _SPARE_ITEMS:
                self._spare.append(item)
            else:
                self._vb.removeItem(item)
        for key, (tile, z) in desired.items():
            if key in self._shown:
                self._shown[key][0].setZValue(z)
                continue
            item = self._spare.pop() if self._spare else self._new_item()
            item.set_tile(tile, self._table)
            item.setZValue(z)
            item.show()
            self._shown[key] = (item, tile)

    def _new_item(self) -> TileItem:
        item = TileItem()
        self._vb.addItem(item, ignoreBounds=True)
        return item

    def db_at(self, t: float, f: float) -> float:
        """Level under a point, from the sharpest tile shown there; NaN where none is."""
        best: tuple[float, Tile] | None = None
        for item, tile in self._shown.values():
            if tile.contains(t, f) and (best is None or item.zValue() > best[0]):
                best = (item.zValue(), tile)
        return best[1].db_at(t, f) if best is not None else math.nan
