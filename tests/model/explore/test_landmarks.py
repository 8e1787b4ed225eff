"""Landmarks: a big map is UMAP of a sample per recording, the rest placed by exact neighbours."""

from __future__ import annotations

import numpy as np
import pytest

from model.explore import projection
from model.explore.landmarks import (
    Landmarks,
    nearest,
    place_by_neighbours,
    select_landmarks,
)
from model.explore.projection import fit_layout, place
from tests.model.explore.conftest import Mapped, species_of


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def blobs(n: int, kinds: int = 5, dim: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Clips of ``kinds`` sound types (the same types whatever the seed)."""
    centres = np.random.default_rng(dim).normal(0, 1, (kinds, dim))
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, kinds, n)
    return unit(centres[kind] + rng.normal(0, 0.15, (n, dim))), kind


def test_every_recording_gets_its_share_evenly_in_time() -> None:
    groups = np.repeat([7, 3, 9, 5], [1000, 3000, 10, 1])  # 4,011 clips, unsorted ids
    rows = select_landmarks(groups, 401)
    assert np.all(np.diff(rows) > 0)
    share = {g: int((groups[rows] == g).sum()) for g in (7, 3, 9, 5)}
    assert share == {7: 100, 3: 300, 9: 1, 5: 1}  # the 1-clip recording is not left out
    mine = rows[groups[rows] == 3] - 1000  # the recording's rows are 1000..3999, in time
    assert mine[0] == 0 and mine[-1] == 2999 and np.ptp(np.diff(mine)) <= 1
    assert np.array_equal(select_landmarks(groups[:50], 401), np.arange(50))


def test_nearest_is_exact() -> None:
    base, _ = blobs(700, dim=8)
    queries, _ = blobs(90, dim=8, seed=1)
    indices, distances = nearest(queries, base, 6)
    full = np.linalg.norm(queries[:, None] - base[None], axis=2)
    assert np.array_equal(indices, np.argsort(full, axis=1, kind="stable")[:, :6])
    assert np.allclose(distances, np.sort(full, axis=1)[:, :6], atol=1e-3)
    own, own_d = nearest(base, base, 4, self_first=True)
    assert np.array_equal(own[:, 0], np.arange(700)) and np.all(own_d[:, 0] == 0)


def test_chunks_do_not_change_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    base, _ = blobs(500)
    whole = nearest(base, base, 5, self_first=True)
    monkeypatch.setattr("model.explore.landmarks.CHUNK_CELLS", 1_000)  # two rows at a time
    parts = nearest(base, base, 5, self_first=True)
    assert np.array_equal(whole[0], parts[0]) and np.allclose(whole[1], parts[1])


def test_placed_clips_land_among_their_own_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    vectors, kind = blobs(3000)
    groups = np.repeat(np.arange(6), 500)
    monkeypatch.setattr(projection, "LANDMARKS", 400)
    layout = fit_layout(vectors, seed=0, groups=groups)
    assert layout.method == "umap+landmarks" and layout.landmarks == 400
    assert isinstance(layout.model, Landmarks) and len(layout.model.vectors) == 400
    assert np.array_equal(layout.fitted, select_landmarks(groups, 400))
    landmark = np.zeros(3000, bool)
    landmark[select_landmarks(groups, 400)] = True
    centres = np.array([layout.coords[landmark & (kind == k)].mean(axis=0) for k in range(5)])
    placed = ~landmark
    closest = np.argmin(np.linalg.norm(layout.coords[placed, None] - centres[None], axis=2), 1)
    assert (closest == kind[placed]).mean() > 0.98
    # New clips of a known kind are placed among it; the map itself does not move.
    new, new_kind = blobs(200, seed=5)
    at = place(layout.model, new)
    assert at.shape == (200, 2) and np.isfinite(at).all()
    near = np.argmin(np.linalg.norm(at[:, None] - centres[None], axis=2), axis=1)
    assert (near == new_kind).mean() > 0.95


def test_a_placed_clip_identical_to_a_landmark_sits_on_it() -> None:
    vectors, _ = blobs(50)
    coords = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    at = place_by_neighbours(vectors[[3]], vectors, coords, k=1)
    assert np.allclose(at, coords[[3]])


def test_real_clips_placed_by_landmarks_keep_species_apart(
    mapped: Mapped, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip_map = mapped.result["map"]
    monkeypatch.setattr(projection, "LANDMARKS", len(clip_map) // 2)
    layout = fit_layout(clip_map.vectors, seed=0, groups=clip_map.recording_ids)
    assert layout.method == "umap+landmarks"
    names = species_of(mapped, clip_map.recording_ids)
    distance = np.linalg.norm(layout.coords[:, None] - layout.coords[None], axis=2)
    for name in np.unique(names):
        rows = names == name
        inside = distance[rows][:, rows]
        within = inside[~np.eye(int(rows.sum()), dtype=bool)].mean()
        between = distance[rows][:, ~rows].mean()
        assert within < 0.5 * between, (name, within, between)


def test_umaps_compiled_code_is_kept_in_the_user_cache() -> None:
    from model.explore import jit_cache

    vectors, _ = blobs(200)
    fit_layout(vectors, seed=0)
    kept = list(jit_cache.cache_folder().rglob("*.nbi"))
    assert any("layouts" in p.name for p in kept), kept  # UMAP's epoch loop among them


def test_clusters_of_a_big_map_are_found_among_its_landmarks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sklearn.cluster import HDBSCAN

    rng = np.random.default_rng(0)
    side = np.repeat([0, 1], 600)
    coords = (np.array([[0.0, 0.0], [30.0, 0.0]])[side] + rng.normal(0, 1, (1200, 2))).astype(
        np.float32
    )
    seen: list[int] = []
    fit = HDBSCAN.fit_predict
    monkeypatch.setattr(
        HDBSCAN, "fit_predict", lambda self, x, *a, **k: seen.append(len(x)) or fit(self, x)
    )
    sample = select_landmarks(np.zeros(1200), 300)
    labels = projection.cluster(coords, sample)
    assert seen == [300]  # HDBSCAN saw the landmarks only
    assert len(labels) == 1200 and len(set(labels[side == 0])) == 1
    assert len(set(labels[side == 1])) == 1 and labels[0] != labels[-1]
