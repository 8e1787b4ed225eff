"""Embeddings -> 2-D map: PCA, then UMAP; HDBSCAN clusters on the map; new clips by transform.

PCA first, fitted on at most ``PCA_FIT_ROWS`` clips and applied in chunks: UMAP's neighbour
search is much faster on 64 numbers than on 2048, and the same reduced, mean-centred, unit-length
vectors serve "find similar" (``model.explore.similar``), where 100k clips then take 25 MB
instead of 800. UMAP runs on those unit vectors with the Euclidean metric, which orders
neighbours exactly as cosine similarity does (|a-b|^2 = 2 - 2 cos), and is UMAP's fastest.

Clusters come from scikit-learn's HDBSCAN on the 2-D map: they are the groups a person sees
(in 64 dimensions it would take far longer). On big maps HDBSCAN sees the landmarks only (a
few seconds for 20k points, two minutes for 100k); the other clips, and clips placed later,
take the cluster of their nearest neighbour on the map.

umap-learn is imported without its ParametricUMAP part, which would import TensorFlow (20 s)
for nothing; numba compiles UMAP's layout code once per install and keeps it in the user's
cache folder (``model.explore.jit_cache``). Above ``LANDMARKS`` clips UMAP lays out a sample
and the others are placed by their nearest landmarks (``model.explore.landmarks``).
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.explore.landmarks import LANDMARKS, Landmarks, nearest, select_landmarks
from model.jobs import Reporter

PCA_COMPONENTS = 64
PCA_FIT_ROWS = 20_000
PCA_POWER_ITERATIONS = 2  # sklearn's "auto" does 7: three times the time, the same map
TRANSFORM_CHUNK = 16_384
N_NEIGHBORS = 15
MIN_DIST = 0.1
SMALL = 4  # below this many clips a map is the first two principal components


@dataclass
class Reducer:
    """The fitted PCA (mean and components), applied in float32 chunks."""

    mean: np.ndarray  # (dim,)
    components: np.ndarray  # (k, dim)
    explained: float  # share of the variance the components keep

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        """(n, dim) -> (n, k) unit-length float32 rows (a zero row stays zero)."""
        out = np.empty((len(vectors), len(self.components)), np.float32)
        for first in range(0, len(vectors), TRANSFORM_CHUNK):
            part = np.asarray(vectors[first : first + TRANSFORM_CHUNK], np.float32) - self.mean
            out[first : first + len(part)] = part @ self.components.T
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out


def fit_reducer(vectors: np.ndarray, seed: int = 0) -> Reducer:
    """PCA on a random sample of at most PCA_FIT_ROWS rows (the principal directions of 100k
    clips are those of 20k of them, to the precision a map needs)."""
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(seed)
    rows = len(vectors)
    sample = np.sort(rng.choice(rows, PCA_FIT_ROWS, replace=False)) if rows > PCA_FIT_ROWS else None
    data = np.asarray(vectors if sample is None else vectors[sample], np.float32)
    k = max(1, min(PCA_COMPONENTS, data.shape[0] - 1, data.shape[1]))
    if data.shape[0] < 2:
        return Reducer(data.mean(axis=0), np.eye(1, data.shape[1], dtype=np.float32), 1.0)
    randomized = k < min(data.shape)
    pca = PCA(n_components=k, svd_solver="randomized" if randomized else "full",
              iterated_power=PCA_POWER_ITERATIONS if randomized else "auto",
              random_state=seed)  # fmt: skip
    pca.fit(data)
    return Reducer(
        pca.mean_.astype(np.float32),
        pca.components_.astype(np.float32),
        float(np.sum(pca.explained_variance_ratio_)),
    )


def import_umap() -> Any:
    """``umap.UMAP`` without ParametricUMAP's TensorFlow import (a module set to None makes
    ``import`` raise ImportError, which umap handles by leaving that part out)."""
    if "umap" not in sys.modules:
        blocked = "umap.parametric_umap"
        had = blocked in sys.modules
        previous = sys.modules.get(blocked)
        sys.modules[blocked] = None  # type: ignore[assignment]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import umap  # noqa: F401
            from model.explore import jit_cache

            jit_cache.enable()
        finally:
            if had:
                sys.modules[blocked] = previous  # type: ignore[assignment]
            else:
                sys.modules.pop(blocked, None)
    from umap import UMAP

    return UMAP


@dataclass
class Layout:
    coords: np.ndarray  # (n, 2) float32
    model: Any  # Landmarks (None for tiny maps): what ``place`` puts new clips by
    method: str  # "umap", "umap+landmarks" or "pca"
    landmarks: int = 0  # clips UMAP laid out (the others were placed by their neighbours)
    fitted: np.ndarray | None = None  # their rows (None: every row)


def fit_layout(
    reduced: np.ndarray,
    seed: int | None = None,
    reporter: Reporter | None = None,
    groups: np.ndarray | None = None,
) -> Layout:
    """UMAP of the reduced vectors (of at most LANDMARKS of them, chosen per ``groups``, e.g.
    recordings; the others placed by their nearest landmarks, see ``model.explore.landmarks``).
    ``seed`` makes it reproducible, at the price of one thread (umap-learn runs its layout in
    parallel only without a fixed seed)."""
    n = len(reduced)
    if n < SMALL or reduced.shape[1] < 2:
        coords = np.zeros((n, 2), np.float32)
        coords[:, : min(2, reduced.shape[1])] = reduced[:, :2]
        return Layout(coords, None, "pca")
    chosen = select_landmarks(np.zeros(n) if groups is None else groups, LANDMARKS)
    fitted = np.ascontiguousarray(reduced[chosen], np.float32)
    m = len(fitted)
    k = min(N_NEIGHBORS, m - 1)
    if reporter is not None:
        reporter.update(0, None, f"nearest neighbours of {m} clips", stage="umap")
    indices, distances = nearest(fitted, fitted, k, self_first=True)
    UMAP = import_umap()  # noqa: N806 - a class
    model = UMAP(
        n_neighbors=k,
        min_dist=MIN_DIST,
        n_components=2,
        metric="euclidean",
        init="spectral" if m > 2 * N_NEIGHBORS else "random",
        random_state=seed,
        low_memory=True,
        precomputed_knn=(indices, distances, None),
        tqdm_kwds={"disable": True},
    )
    if reporter is not None:
        reporter.update(0, None, f"placing {m} clips on the map (UMAP)", stage="umap")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "n_jobs overridden by random_state", no transform
        landmark_coords = model.fit_transform(fitted).astype(np.float32)
    landmarks = Landmarks(fitted, landmark_coords)
    if m == n:
        return Layout(landmark_coords, landmarks, "umap", m)
    if reporter is not None:
        reporter.update(0, None, f"placing {n - m} more clips by their neighbours", stage="umap")
    coords = np.empty((n, 2), np.float32)
    coords[chosen] = landmark_coords
    rest = np.ones(n, bool)
    rest[chosen] = False
    coords[rest] = landmarks.place(reduced[rest])
    return Layout(coords, landmarks, "umap+landmarks", m, chosen)


def place(layout_model: Any, reduced: np.ndarray) -> np.ndarray:
    """New clips on an existing map, which does not move: by their nearest landmarks, or with
    UMAP's ``transform`` for maps saved before landmarks were kept."""
    if len(reduced) == 0:
        return np.zeros((0, 2), np.float32)
    if isinstance(layout_model, Landmarks):
        return layout_model.place(reduced)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(layout_model.transform(reduced), np.float32)


def min_cluster_size(n: int) -> int:
    """About 1 % of the clips, at least 5 and at most 500: a cluster is a group worth a look."""
    return int(max(5, min(500, n // 100)))


def cluster(coords: np.ndarray, sample: np.ndarray | None = None) -> np.ndarray:
    """HDBSCAN cluster number per clip (-1: in no cluster). With ``sample`` (rows, e.g. the
    landmarks UMAP laid out) the clusters are found among those points and every other point
    takes the cluster of its nearest sampled neighbour on the map: HDBSCAN of 100k points took
    two minutes on two cores, of 20k a few seconds."""
    if sample is not None and len(sample) < len(coords):
        found = cluster(coords[sample])
        return nearest_clusters(coords[sample], found, coords)
    n = len(coords)
    size = min_cluster_size(n)
    if n < 2 * size:
        return np.full(n, -1, np.int32)
    from sklearn.cluster import HDBSCAN

    labels = HDBSCAN(min_cluster_size=size, copy=True).fit_predict(coords.astype(np.float64))
    return labels.astype(np.int32)


def nearest_clusters(coords: np.ndarray, clusters: np.ndarray, new: np.ndarray) -> np.ndarray:
    """The cluster of each new point's nearest mapped point."""
    if len(new) == 0 or len(coords) == 0:
        return np.full(len(new), -1, np.int32)
    from scipy.spatial import cKDTree

    _, index = cKDTree(coords).query(new, k=1)
    return clusters[index].astype(np.int32)
