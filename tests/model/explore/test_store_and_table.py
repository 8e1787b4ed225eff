"""The saved map's files, and what clips are coloured by: label states, top scores, hours."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from model.explore.grid import ClipGrid
from model.explore.store import ClipMap, load_map, save_map
from model.explore.table import ABSENT, PRESENT, UNCERTAIN, UNLABELLED, hours, label_codes
from model.project import LabelState, Project


def small_map(n: int = 5) -> ClipMap:
    rng = np.random.default_rng(0)
    return ClipMap(
        np.repeat([1, 2], [3, n - 3]).astype(np.int64),
        np.array([0.0, 1.0, 2.0] + [0.0] * (n - 3)) + np.r_[0, 0, 0, np.arange(n - 3)],
        rng.normal(size=(n, 2)).astype(np.float32),
        np.arange(n, dtype=np.int32) % 2,
        rng.normal(size=(n, 8)).astype(np.float32),
        2.0,
        {"backbone": "b"},
    )


def test_map_round_trip(tmp_path: Path) -> None:
    clip_map = small_map()
    save_map(tmp_path / "m", clip_map)
    back = load_map(tmp_path / "m")
    assert back is not None
    assert np.array_equal(back.coords, clip_map.coords)
    assert np.array_equal(back.keys(), clip_map.keys())
    assert np.allclose(back.vectors, clip_map.vectors, atol=1e-2)  # kept as float16
    assert back.index_of(1, 1.0) == 1 and back.index_of(1, 1.5) is None
    assert back.nearest_start(2, 1.9) == 4


@pytest.mark.parametrize("damage", ["truncate", "garbage", "missing-json", "wrong-shape"])
def test_a_damaged_map_is_recomputed_not_an_error(tmp_path: Path, damage: str) -> None:
    folder = tmp_path / "m"
    save_map(folder, small_map())
    if damage == "truncate":
        data = (folder / "map.npz").read_bytes()
        (folder / "map.npz").write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        (folder / "map.npz").write_bytes(b"not a zip at all")
    elif damage == "missing-json":
        (folder / "map.json").unlink()
    else:
        broken = small_map()
        broken.coords = broken.coords[:2]
        save_map(folder, broken)
    assert load_map(folder) is None


def test_label_states_follow_the_training_overlap_rule(tmp_path: Path, real_data: Path) -> None:
    wav = real_data / "pykanto-raw/STORM-PETREL/XC46092.wav"
    with Project.create(tmp_path / "p.sonotag") as project:
        rec = project.add_recording(wav)
        a = project.add_class("a")
        b = project.add_class("b")
        project.put_label(rec.id, 0.0, 2.0, a.id, LabelState.PRESENT)
        project.put_label(rec.id, 4.2, 4.8, a.id, LabelState.UNCERTAIN)  # in windows 3 and 4
        project.put_label(rec.id, 4.0, 6.0, a.id, LabelState.ABSENT)  # present/uncertain win
        project.put_label(rec.id, 9.6, 11.0, b.id, LabelState.ABSENT)
        starts = np.arange(0.0, 13.0)
        grid = ClipGrid(np.full(len(starts), rec.id, np.int64), starts, 2.0)
        codes = label_codes(project, grid, [a.id, b.id])
    assert codes[:, 0].tolist() == [
        PRESENT, PRESENT, 0, UNCERTAIN, UNCERTAIN, ABSENT, 0, 0, 0, 0, 0, 0, 0,
    ]  # fmt: skip
    # 9.6-11.0 covers at least half of the windows from 9 and 10 (1.4 s / 1.0 s), not 8 (0.4 s)
    assert codes[:, 1].tolist() == [UNLABELLED] * 9 + [ABSENT, ABSENT] + [UNLABELLED] * 2


def test_hours_come_from_the_start_time(tmp_path: Path, real_data: Path) -> None:
    wav = real_data / "pykanto-raw/AM/20210502_040000.WAV"  # AudioMoth: 04:00:00 UTC
    with Project.create(tmp_path / "p.sonotag") as project:
        rec = project.add_recording(wav)
        assert rec.start_time == datetime(2021, 5, 2, 4, 0, tzinfo=UTC)
        grid = ClipGrid(np.array([rec.id, rec.id]), np.array([0.0, 1800.0]), 2.0)
        assert np.allclose(hours(project, grid), [4.0, 4.5])
        project.set_meta("activity_zone", "+02:00")
        assert np.allclose(hours(project, grid), [6.0, 6.5])
