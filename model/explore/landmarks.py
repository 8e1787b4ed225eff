"""Exact nearest neighbours in PCA space, and landmarks: how a 100k-clip map stays under a minute.

UMAP's cost grows with the clips it lays out, and its own neighbour search (pynndescent) spends
half a minute compiling in every new process (numba cannot cache it: it takes the distance
function as an argument). So the map is fitted on at most ``LANDMARKS`` clips, chosen evenly
in time within each recording (every recording keeps its share), with their neighbours found
exactly by matrix products here, and every other clip is placed at the weighted mean of its
nearest landmarks' positions. That is what UMAP's own ``transform`` starts from before it
nudges each point with a few more epochs; the nudge is left out, so placing 75k clips is a
matrix product and a sort, seconds rather than minutes, and clips of recordings added later
are placed the same way without moving the map.

The vectors are the reducer's unit rows, so the Euclidean distance is sqrt(2 - 2 cos) and the
nearest neighbours are those of cosine similarity, as in "find similar".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LANDMARKS = 20_000  # clips UMAP lays out; the rest are placed by their nearest landmarks
PLACE_NEIGHBOURS = 10  # landmarks whose positions a placed clip averages
CHUNK_CELLS = 8_000_000  # similarities held at a time (32 MB of float32)


@dataclass
class Landmarks:
    """The fitted clips' reduced vectors and map positions: enough to place new clips."""

    vectors: np.ndarray  # (m, k) float32 unit rows
    coords: np.ndarray  # (m, 2) float32

    def place(self, reduced: np.ndarray) -> np.ndarray:
        return place_by_neighbours(reduced, self.vectors, self.coords)


def select_landmarks(groups: np.ndarray, count: int) -> np.ndarray:
    """Sorted rows of at most about ``count`` clips: each group (recording) gets its share of
    the count, at least one clip, taken evenly spaced along its rows (in time order)."""
    groups = np.asarray(groups)
    n = len(groups)
    if n <= count:
        return np.arange(n, dtype=np.int64)
    order = np.argsort(groups, kind="stable")
    _, first, sizes = np.unique(groups[order], return_index=True, return_counts=True)
    exact = sizes * (count / n)
    quota = np.floor(exact).astype(np.int64)
    left = count - int(quota.sum())
    if left > 0:  # largest remainders first
        quota[np.argsort(quota - exact, kind="stable")[:left]] += 1
    quota = np.clip(quota, 1, sizes)
    picked = [
        order[start + np.round(np.linspace(0, size - 1, q)).astype(np.int64)]
        for start, size, q in zip(first, sizes, quota, strict=True)
    ]
    return np.sort(np.concatenate(picked))


def nearest(
    queries: np.ndarray, base: np.ndarray, k: int, *, self_first: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(indices, distances), each (n, k), of every query's ``k`` nearest base rows, nearest
    first. ``self_first``: the queries are the base itself, and each row is its own first
    neighbour at distance 0 (as UMAP's neighbour graph expects), even a zero row."""
    n, m = len(queries), len(base)
    k = min(k, m)
    indices = np.empty((n, k), np.int64)
    distances = np.empty((n, k), np.float32)
    base32 = np.ascontiguousarray(base, np.float32)
    step = max(1, CHUNK_CELLS // max(1, m))
    for first in range(0, n, step):
        part = np.asarray(queries[first : first + step], np.float32)
        scores = part @ base32.T
        if self_first:
            scores[np.arange(len(part)), np.arange(first, first + len(part))] = 2.0
        # The k largest without negating a copy of the block (that copy took 3/4 of the time).
        top = np.argpartition(scores, m - k, axis=1)[:, m - k :] if k < m else np.argsort(scores)
        best = np.take_along_axis(scores, top, axis=1)
        order = np.argsort(-best, axis=1, kind="stable")
        indices[first : first + len(part)] = np.take_along_axis(top, order, axis=1)
        best = np.take_along_axis(best, order, axis=1)
        distances[first : first + len(part)] = np.sqrt(np.maximum(0.0, 2.0 - 2.0 * best))
    if self_first:
        distances[:, 0] = 0.0
    return indices, distances


def neighbour_weights(distances: np.ndarray) -> np.ndarray:
    """UMAP's membership strengths: 1 for the nearest, falling off with the distance beyond it
    on the scale of the row's own spread (dense and sparse regions alike)."""
    rho = distances[:, :1]
    spread = np.maximum((distances - rho).mean(axis=1, keepdims=True), 1e-6)
    return np.exp(-(distances - rho) / spread)


def place_by_neighbours(
    reduced: np.ndarray, vectors: np.ndarray, coords: np.ndarray, k: int = PLACE_NEIGHBOURS
) -> np.ndarray:
    """Map positions of new clips: the weighted mean of their nearest landmarks' positions."""
    if len(reduced) == 0 or len(vectors) == 0:
        return np.zeros((len(reduced), 2), np.float32)
    indices, distances = nearest(reduced, vectors, k)
    weights = neighbour_weights(distances)
    weights /= weights.sum(axis=1, keepdims=True)
    return np.einsum("nk,nkd->nd", weights, coords[indices]).astype(np.float32)
