"""A least-recently-used tile store with a byte budget, shared by the GUI and the tile worker.

The budget, not the file length, bounds memory: scrolling through a 12-hour recording evicts the
tiles seen longest ago. Every method takes a lock because the worker thread stores tiles while
the GUI thread reads them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

from model.spectrogram.tiles import Tile, TileKey

#: Default budget: about 500 tiles of 1024-point FFTs; ample for several screens at all levels.
DEFAULT_BUDGET_BYTES = 64 * 1024 * 1024


class TileCache:
    """LRU map ``TileKey -> Tile`` that never holds more than ``budget_bytes`` of tile data.

    A tile larger than the whole budget is not stored (storing it would evict everything and
    still break the bound).
    """

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        if budget_bytes <= 0:
            raise ValueError("cache budget must be positive")
        self.budget_bytes = int(budget_bytes)
        self._tiles: OrderedDict[TileKey, Tile] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.evictions = 0

    @property
    def nbytes(self) -> int:
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._tiles)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._tiles

    def get(self, key: TileKey) -> Tile | None:
        """The tile, marked as just used; None when absent."""
        with self._lock:
            tile = self._tiles.get(key)
            if tile is None:
                self.misses += 1
                return None
            self._tiles.move_to_end(key)
            self.hits += 1
            return tile

    def peek(self, key: TileKey) -> Tile | None:
        """The tile without changing its place in the eviction order."""
        with self._lock:
            return self._tiles.get(key)

    def put(self, tile: Tile) -> None:
        size = tile.nbytes
        with self._lock:
            old = self._tiles.pop(tile.key, None)
            if old is not None:
                self._bytes -= old.nbytes
            if size > self.budget_bytes:
                return
            self._tiles[tile.key] = tile
            self._bytes += size
            while self._bytes > self.budget_bytes:
                _, evicted = self._tiles.popitem(last=False)
                self._bytes -= evicted.nbytes
                self.evictions += 1

    def touch(self, keys: Iterable[TileKey]) -> None:
        """Mark tiles as used (those on screen) so that scrolling elsewhere evicts others first."""
        with self._lock:
            for key in keys:
                if key in self._tiles:
                    self._tiles.move_to_end(key)

    def discard_source(self, source: str) -> None:
        """Forget every tile of one recording (it was closed or changed on disk)."""
        with self._lock:
            for key in [k for k in self._tiles if k.source == source]:
                self._bytes -= self._tiles.pop(key).nbytes

    def clear(self) -> None:
        with self._lock:
            self._tiles.clear()
            self._bytes = 0
