"""The tile cache keeps the most recently used tiles within its byte budget."""

from __future__ import annotations

import numpy as np

from model.spectrogram import Tile, TileCache, TileKey


def tile(index: int, rows: int = 100, source: str = "a.wav") -> Tile:
    key = TileKey(source, 1024, "hann", None, 0, index)
    return Tile(key, np.zeros((rows, 100), dtype=np.uint8), 0.0, 1.0, 48000)


def test_eviction_keeps_bytes_under_budget_and_drops_least_recent() -> None:
    cache = TileCache(budget_bytes=35_000)  # room for three 10 kB tiles
    for i in range(3):
        cache.put(tile(i))
    assert cache.get(tile(0).key) is not None  # 0 is now the most recent
    cache.put(tile(3))
    assert cache.nbytes <= 35_000
    assert tile(1).key not in cache
    assert all(tile(i).key in cache for i in (0, 2, 3))
    assert cache.evictions == 1
    for i in range(4, 100):
        cache.put(tile(i))
        assert cache.nbytes <= cache.budget_bytes
    assert len(cache) == 3


def test_oversized_tile_is_not_stored_and_replacing_counts_once() -> None:
    cache = TileCache(budget_bytes=5_000)
    cache.put(tile(0))  # 10 kB > budget
    assert len(cache) == 0 and cache.nbytes == 0
    cache = TileCache(budget_bytes=50_000)
    cache.put(tile(0))
    cache.put(tile(0))
    assert cache.nbytes == 10_000


def test_touch_protects_tiles_on_screen_and_discard_source_forgets_a_file() -> None:
    cache = TileCache(budget_bytes=30_000)
    for i in range(3):
        cache.put(tile(i))
    cache.touch([tile(0).key])
    cache.put(tile(3))
    assert tile(0).key in cache and tile(1).key not in cache
    cache.put(tile(9, source="b.wav"))
    cache.discard_source("a.wav")
    assert len(cache) == 1 and cache.nbytes == 10_000
    assert cache.peek(tile(9, source="b.wav").key) is not None
    assert cache.get(tile(0).key) is None and cache.misses == 1
