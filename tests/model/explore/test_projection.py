"""Maps of any size: a project with one short recording still gets a map, never an error."""

from __future__ import annotations

import numpy as np
import pytest

from model.explore.projection import cluster, fit_layout, fit_reducer, min_cluster_size


@pytest.mark.parametrize("n", [1, 2, 3, 5, 13, 40])
def test_small_maps(n: int) -> None:
    rng = np.random.default_rng(n)
    vectors = rng.normal(size=(n, 300)).astype(np.float16)
    reducer = fit_reducer(vectors)
    reduced = reducer.apply(vectors)
    norms = np.linalg.norm(reduced, axis=1)
    assert reduced.shape[0] == n
    assert np.allclose(norms, 0 if n == 1 else 1, atol=1e-5)  # one clip is its own mean
    layout = fit_layout(reduced, seed=0)
    assert layout.coords.shape == (n, 2) and np.isfinite(layout.coords).all()
    assert layout.method == ("pca" if n < 4 else "umap")
    assert len(cluster(layout.coords)) == n


def test_cluster_size_follows_the_map() -> None:
    assert min_cluster_size(50) == 5
    assert min_cluster_size(10_000) == 100
    assert min_cluster_size(1_000_000) == 500
    two = np.r_[np.zeros((30, 2)), np.full((30, 2), 50.0)] + np.random.default_rng(0).normal(
        0, 1, (60, 2)
    )
    labels = cluster(two)
    assert len(set(labels[:30])) == 1 and len(set(labels[30:])) == 1 and labels[0] != labels[-1]
