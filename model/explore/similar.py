"""Find similar: the clips nearest some chosen ones by cosine similarity, exactly.

The map's vectors are unit length, so cosine similarity is one matrix-vector product; 100k
clips of 64 numbers are 25 MB and a query is a few milliseconds (``bench/bench_explorer.py``),
1M clips 256 MB and tens of milliseconds, so an approximate index is not needed below about
1M clips. Past that, pynndescent (installed with umap-learn) would take over; Sonotag does not
do that yet.

Several chosen clips are searched with their mean direction: "more like these".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

QUERY_CHUNK = 262_144  # rows multiplied at a time: bounded temporary memory


def similar(
    vectors: np.ndarray,
    chosen: Sequence[int] | np.ndarray,
    k: int,
    *,
    exclude_chosen: bool = True,
    candidates: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, similarities) of the ``k`` clips most similar to the chosen rows, best first.

    ``candidates`` (bool per row) limits where to look; rows with a zero vector (features
    that could not be read) are never returned.
    """
    chosen = np.asarray(chosen, np.int64).reshape(-1)
    if len(chosen) == 0 or k <= 0 or len(vectors) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    query = np.asarray(vectors[chosen], np.float32).mean(axis=0)
    norm = float(np.linalg.norm(query))
    if norm == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    query /= norm
    scores = np.empty(len(vectors), np.float32)
    for first in range(0, len(vectors), QUERY_CHUNK):
        part = np.asarray(vectors[first : first + QUERY_CHUNK], np.float32)
        scores[first : first + len(part)] = part @ query
    # A clip without features has a zero vector, so a score of exactly 0: only those few
    # rows are looked at again (checking every row doubled the time of a query).
    zero = np.flatnonzero(scores == 0)
    if len(zero):
        empty = ~np.any(np.asarray(vectors[zero]) != 0, axis=1)
        scores[zero[empty]] = -np.inf
    if candidates is not None:
        scores[~np.asarray(candidates, bool)] = -np.inf
    if exclude_chosen:
        scores[chosen] = -np.inf
    valid = int(np.isfinite(scores).sum())
    k = min(k, valid)
    if k == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    top = np.argpartition(-scores, k - 1)[:k]
    order = top[np.lexsort((top, -scores[top]))]  # best first; ties by position (file, time)
    return order.astype(np.int64), scores[order]
