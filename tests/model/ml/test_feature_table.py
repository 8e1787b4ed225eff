"""Features of many labelled windows on disk: every row read back once, in bounded pieces."""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pytest

from model.ml import feature_table
from model.ml.feature_table import FeatureTable


def _table(tmp_path: Path, rows: int = 1000, dim: int = 16) -> tuple[FeatureTable, np.ndarray]:
    rng = np.random.default_rng(3)
    vectors = rng.normal(0, 3, (rows, dim)).astype(np.float32)
    table = FeatureTable.create(tmp_path / "tmp", rows, dim, seed=1)
    order = rng.permutation(rows)
    for part in np.array_split(order, 7):  # written in pieces, in no particular order
        table.write(part, vectors[part])
    return table, vectors.astype(np.float16).astype(np.float32)


def test_rows_come_back_as_written(tmp_path: Path) -> None:
    table, vectors = _table(tmp_path)
    np.testing.assert_array_equal(table.select().load(), vectors)
    pick = np.array([999, 3, 3, 500])
    np.testing.assert_array_equal(table.select(pick).load(), vectors[pick])
    rows = table.select()[np.arange(1000) % 2 == 0][np.array([1, 0])]  # masks, then indices
    np.testing.assert_array_equal(rows.load(), vectors[[2, 0]])
    assert rows.shape == (2, 16) and rows.nbytes == 2 * 16 * 4


def test_chunks_read_each_row_once_and_few_at_a_time(tmp_path: Path) -> None:
    table, vectors = _table(tmp_path)
    selection = table.select(np.arange(0, 1000, 3))
    seen = []
    for index, rows in selection.chunks(size=100):
        assert len(rows) <= 100 and rows.dtype == np.float16
        np.testing.assert_array_equal(rows, vectors[::3][index])
        seen.extend(index.tolist())
    assert sorted(seen) == list(range(len(selection)))


def test_shuffled_passes_cover_everything_in_new_orders_within_the_buffer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feature_table, "RUN_ROWS", 16)
    table, vectors = _table(tmp_path)
    selection = table.select(np.arange(100, 900))
    rng = np.random.default_rng(0)
    orders = []
    for _ in range(2):
        order = []
        for index, rows in selection.shuffled(rng, batch_size=50, buffer=128):
            assert len(rows) <= 50
            np.testing.assert_array_equal(rows, vectors[100:900][index])
            order.extend(index.tolist())
        assert sorted(order) == list(range(800))
        orders.append(order)
    assert orders[0] != orders[1]
    assert orders[0] != sorted(orders[0])


def test_moments_match_numpy(tmp_path: Path) -> None:
    table, vectors = _table(tmp_path)
    mean, variance = table.select(np.arange(1, 1000, 2)).moments()
    np.testing.assert_allclose(mean, vectors[1::2].mean(axis=0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(variance, vectors[1::2].var(axis=0), rtol=1e-5)


def test_file_is_removed_when_closed_or_dropped(tmp_path: Path) -> None:
    table, _ = _table(tmp_path)
    path = table.path
    assert path.exists() and path.parent == tmp_path / "tmp"
    table.close()
    assert not path.exists()
    other, _ = _table(tmp_path)
    path = other.path
    del other
    gc.collect()
    assert not path.exists()


def test_a_blocked_folder_falls_back_to_the_temporary_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "P.sonotag-cache"
    blocker.write_text("a file, not a folder")
    with FeatureTable.create(blocker / "tmp", 10, 4) as table:
        assert not table.path.is_relative_to(blocker) and table.path.exists()
        table.write(np.arange(10), np.ones((10, 4)))
        assert table.select().load().sum() == 40


def test_moments_of_a_large_selection_come_from_a_random_sample(tmp_path: Path) -> None:
    table, vectors = _table(tmp_path, rows=4000, dim=8)
    mean, variance = table.select().moments(most=1000)
    np.testing.assert_allclose(mean, vectors.mean(axis=0), atol=0.3)
    np.testing.assert_allclose(variance, vectors.var(axis=0), rtol=0.15)


def test_moments_of_several_subsets_from_one_bounded_pass(tmp_path: Path, monkeypatch) -> None:
    """Each subset's moments are those of its own rows, and the pass stops once every subset
    has ``most`` rows (the evaluation's folds: not a read of the whole table)."""
    rng = np.random.default_rng(3)
    vectors = (rng.normal(size=(40_000, 16)) * 3 + 7).astype(np.float32)
    members = rng.random((40_000, 3)) < np.array([0.8, 0.5, 0.8])
    with FeatureTable.create(tmp_path, 40_000, 16) as table:
        table.write(np.arange(40_000), vectors)
        rows = table.select()
        mean, variance = rows.moments_by(members, most=10**9)  # every row
        for column in range(3):
            alone = rows[np.flatnonzero(members[:, column])].moments(most=10**9)
            np.testing.assert_allclose(mean[column], alone[0], rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(variance[column], alone[1], rtol=1e-6, atol=1e-9)
        read: list[int] = []
        real = feature_table.FeatureRows.chunks

        def counted(self, *args, **kwargs):
            for item in real(self, *args, **kwargs):
                read.append(len(item[0]))
                yield item

        monkeypatch.setattr(feature_table.FeatureRows, "chunks", counted)
        rows.moments_by(members, most=5_000)
        assert sum(read) < 20_000 and min(members[: sum(read)].sum(axis=0)) >= 5_000
