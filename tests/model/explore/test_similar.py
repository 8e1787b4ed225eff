"""Exact cosine search: order, ties, exclusions and clips without features."""

from __future__ import annotations

import numpy as np

from model.explore.similar import similar


def unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_matches_a_brute_force_ranking() -> None:
    rng = np.random.default_rng(3)
    vectors = unit(rng.normal(size=(500, 16)))
    rows, scores = similar(vectors, [7], 20)
    expected = np.argsort(-(vectors @ vectors[7]))
    expected = expected[expected != 7][:20]
    assert rows.tolist() == expected.tolist()
    assert np.allclose(scores, vectors[rows] @ vectors[7], atol=1e-6)


def test_several_clips_search_their_mean_direction() -> None:
    vectors = unit(np.array([[1, 0], [0, 1], [1, 1], [1, -1], [-1, 0.1]]))
    rows, _ = similar(vectors, [0, 1], 2)
    assert rows.tolist() == [2, 3]


def test_zero_vectors_and_non_candidates_never_come_back() -> None:
    vectors = unit(np.array([[1, 0], [1, 0.1], [1, 0.2], [0, 1]]))
    vectors[1] = 0  # a clip whose features could not be read
    rows, _ = similar(vectors, [0], 10, candidates=np.array([True, True, False, True]))
    assert rows.tolist() == [3]


def test_ties_go_by_position_and_k_is_capped() -> None:
    vectors = unit(np.ones((6, 3)))
    rows, _ = similar(vectors, [2], 99)
    assert rows.tolist() == [0, 1, 3, 4, 5]
    assert similar(vectors, [], 3)[0].size == 0
    assert similar(vectors, [2], 0)[0].size == 0
