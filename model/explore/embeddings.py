"""The backbone vectors of every clip on the map: from the feature cache, computed where missing.

Read a few thousand clips at a time and kept as float16 (exactly what the cache stores), so
100k clips of a 2048-d backbone take 400 MB rather than the 800 MB of float32 arrays; the
feature source plans the whole job first, so progress and ETA cover every missing clip, and a
cancel lands between backbone batches with everything computed so far kept in the cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.explore.grid import ClipGrid
from model.jobs import Reporter
from model.ml.features import FeatureSource

CHUNK_CLIPS = 8192  # clips asked of the feature source at a time


@dataclass
class Embeddings:
    """float16 vectors (n, dim) of the grid's clips; ``usable`` is False for clips whose
    recording could not be read and had nothing cached (their rows are zeros)."""

    vectors: np.ndarray
    usable: np.ndarray
    computed: int = 0
    cached: int = 0
    missing_recordings: list[str] = field(default_factory=list)
    cache_errors: list[str] = field(default_factory=list)


def _requests(
    grid: ClipGrid, recordings: dict[int, Any]
) -> list[tuple[Any, np.ndarray, np.ndarray]]:
    """(recording, starts, row positions) per recording, split so no piece exceeds a chunk."""
    out = []
    for rid, rows in grid.by_recording().items():
        for first in range(0, len(rows), CHUNK_CLIPS):
            part = rows[first : first + CHUNK_CLIPS]
            out.append((recordings[rid], grid.starts[part], part))
    return out


def gather(
    source: FeatureSource, grid: ClipGrid, recordings: dict[int, Any], reporter: Reporter
) -> Embeddings:
    """Vectors of every clip of ``grid`` (``recordings`` maps its ids to Recording)."""
    requests = _requests(grid, recordings)
    todo = source.plan([(rec, starts) for rec, starts, _ in requests], reporter, "clip features")
    dim = source.store.dim or source.extractor.dim
    vectors = np.zeros((len(grid), dim), np.float16)
    usable = np.zeros(len(grid), bool)
    batch: list[tuple[Any, np.ndarray, np.ndarray]] = []
    done = 0

    def flush() -> None:
        nonlocal done, vectors
        arrays = source.features([(r, s) for r, s, _ in batch], reporter, "clip features")
        for (_, _, rows), array in zip(batch, arrays, strict=True):
            if array is None or array.shape[1] == 0:
                continue
            if array.shape[1] != vectors.shape[1]:  # the store was empty and sized by guess
                vectors = np.zeros((len(grid), array.shape[1]), np.float16)
            vectors[rows] = array
            usable[rows] = True
        done += sum(len(rows) for _, _, rows in batch)
        batch.clear()
        if not todo:  # all from the cache: reading is the whole job
            reporter.update(done, len(grid), f"reading clip features: {done}/{len(grid)} clips")

    for request in requests:
        batch.append(request)
        if sum(len(rows) for _, _, rows in batch) >= CHUNK_CLIPS:
            flush()
    if batch:
        flush()
    stats = source.stats
    return Embeddings(
        vectors,
        usable,
        computed=stats.computed,
        cached=stats.cached,
        missing_recordings=list(stats.missing_recordings),
        cache_errors=list(stats.cache_errors),
    )
