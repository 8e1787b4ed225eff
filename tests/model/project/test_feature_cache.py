"""The feature cache folder beside a project: round trips, and never trusting what it should not."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from model.errors import ProjectError
from model.project import Project
from model.project.feature_cache import (
    MAX_SEGMENTS,
    CacheKey,
    FeatureStore,
    cache_folder,
    recording_folder_name,
)
from model.project.segments import STARTS, VECTORS, list_segments
from tests.model.project.conftest import FakeInfo

REC = CacheKey(7, "a" * 64)
DIM = 2048


def _vectors(starts: np.ndarray, dim: int = DIM) -> np.ndarray:
    """Deterministic per window start, so any vector read back can be checked alone."""
    base = np.asarray(starts, np.float64)[:, None] * 0.01 + np.arange(dim)[None, :] * 1e-3
    return np.round(base, 2).astype(np.float32)


@pytest.fixture
def store(tmp_path: Path) -> FeatureStore:
    return FeatureStore(tmp_path / "P.sonotag-cache", "resnet50-untrained-seed0", "fp")


def _files(store: FeatureStore, recording: CacheKey = REC) -> list[Path]:
    return sorted((store.folder / recording_folder_name(recording)).iterdir())


def test_cache_folder_is_named_after_the_project_file(tmp_path: Path) -> None:
    assert cache_folder(tmp_path / "P.sonotag") == tmp_path / "P.sonotag-cache"


def test_round_trip_in_float16(store: FeatureStore) -> None:
    rng = np.random.default_rng(2)
    starts = np.arange(50) * 2.0
    vectors = rng.random((50, DIM), dtype=np.float32) * 10
    store.put(REC, starts, vectors)
    ask = np.array([98.0, 4.0, 1.0, 0.0])
    found, got = store.get(REC, ask)
    assert found.tolist() == [True, True, False, True]
    assert got.dtype == np.float32 and got.shape == (4, DIM)
    expected = vectors[[49, 2, 0]].astype(np.float16).astype(np.float32)
    np.testing.assert_array_equal(got[[0, 1, 3]], expected)
    assert not got[2].any()
    assert store.lookup(REC, ask).tolist() == [True, True, False, True]
    assert store.recordings() == [REC.id] and store.dim == DIM
    # as stored, for a caller that keeps float16 (a big training's table): the same values
    found, half = store.get(REC, ask, np.float16)
    assert half.dtype == np.float16 and found.tolist() == [True, True, False, True]
    np.testing.assert_array_equal(half.astype(np.float32), got)


def test_other_settings_backbone_or_audio_find_nothing(store: FeatureStore) -> None:
    store.put(REC, np.arange(3.0), _vectors(np.arange(3.0)))
    for other, recording in (
        (FeatureStore(store.root, store.backbone, "other-settings"), REC),
        (FeatureStore(store.root, "birdnet-v2.4", store.settings), REC),
        (store, CacheKey(REC.id, "b" * 64)),  # same id, different audio: another project's
        (store, CacheKey(8, REC.fingerprint)),
    ):
        found, got = other.get(recording, np.arange(3.0))
        assert not found.any()


def test_values_beyond_float16_are_clipped_not_infinite(store: FeatureStore) -> None:
    store.put(REC, np.array([0.0]), np.full((1, DIM), 1e6, np.float32))
    found, got = store.get(REC, np.array([0.0]))
    assert found.all() and np.isfinite(got).all() and got.max() == 65504.0


def test_later_writes_win_and_many_writes_stay_few_files(store: FeatureStore) -> None:
    for begin in range(0, 400, 10):  # 40 small writes, as a slow backbone would make them
        starts = np.arange(begin, begin + 10) * 0.5
        store.put(REC, starts, _vectors(starts))
    store.put(REC, np.array([3.0]), np.zeros((1, DIM), np.float32))  # replaces window 3.0
    starts = np.arange(400) * 0.5
    found, got = store.get(REC, starts)
    assert found.all()
    expected = _vectors(starts).astype(np.float16).astype(np.float32)
    expected[6] = 0
    np.testing.assert_array_equal(got, expected)
    assert len(list_segments(store.folder / recording_folder_name(REC))) <= 8
    assert len(_files(store)) <= 2 * MAX_SEGMENTS


def test_deleted_cache_is_simply_empty(store: FeatureStore) -> None:
    store.put(REC, np.arange(3.0), _vectors(np.arange(3.0)))
    import shutil

    shutil.rmtree(store.root)
    fresh = FeatureStore(store.root, store.backbone, store.settings)
    assert not fresh.get(REC, np.arange(3.0))[0].any()
    fresh.put(REC, np.arange(2.0), _vectors(np.arange(2.0)))
    assert fresh.get(REC, np.arange(3.0))[0].tolist() == [True, True, False]


@pytest.mark.parametrize(
    "damage",
    ["truncate-vectors", "nan-vectors", "garble-starts", "drop-vectors", "wrong-shape"],
)
def test_damaged_files_are_not_trusted_and_removed(store: FeatureStore, damage: str) -> None:
    store.put(REC, np.arange(4.0), _vectors(np.arange(4.0)))
    store.put(REC, np.arange(10.0, 12.0), _vectors(np.arange(10.0, 12.0)))
    segments = list_segments(store.folder / recording_folder_name(REC))
    assert len(segments) == 2  # sizes 4 then 2: not merged
    target = segments[0]
    vectors, starts = target.vectors_path, target.starts_path
    if damage == "truncate-vectors":
        vectors.write_bytes(vectors.read_bytes()[:-5000])
    elif damage == "nan-vectors":
        data = bytearray(vectors.read_bytes())
        data[-4096:] = b"\xff" * 4096  # float16 NaNs where the last window was
        vectors.write_bytes(bytes(data))
    elif damage == "garble-starts":
        starts.write_bytes(os.urandom(200))
    elif damage == "drop-vectors":
        vectors.unlink()
    else:
        np.save(vectors, np.zeros((4, 16), np.float16))
    found, got = FeatureStore(store.root, store.backbone, store.settings).get(
        REC, np.array([0.0, 1.0, 3.0, 10.0])
    )
    assert found.tolist() == [False, False, False, True]
    assert np.isfinite(got).all()
    assert not starts.exists() or damage == "garble-starts" and not vectors.exists()


def test_store_description_from_elsewhere_wipes_the_store(store: FeatureStore) -> None:
    store.put(REC, np.arange(3.0), _vectors(np.arange(3.0)))
    (store.folder / "store.json").write_text('{"format": 1, "backbone": "x", "dim": 2048}')
    fresh = FeatureStore(store.root, store.backbone, store.settings)
    assert not fresh.get(REC, np.arange(3.0))[0].any()
    assert not store.folder.exists() or not any(store.folder.iterdir())


def test_write_interrupted_between_steps_leaves_nothing_readable(
    store: FeatureStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put(REC, np.arange(2.0), _vectors(np.arange(2.0)))
    real_replace = os.replace
    calls = []

    def crash_after_first(src: object, dst: object) -> None:
        calls.append(dst)
        if len(calls) == 2:  # vectors renamed into place, starts (the commit) not yet
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_after_first)
    with pytest.raises(ProjectError, match="No space left on device") as info:
        store.put(REC, np.arange(5.0, 9.0), _vectors(np.arange(5.0, 9.0)))
    assert info.value.path == store.root
    monkeypatch.undo()
    found, _ = store.get(REC, np.array([0.0, 1.0, 5.0]))
    assert found.tolist() == [True, True, False]
    assert not any(store.tmp.iterdir())


_WRITER = """
import sys, numpy as np
from model.project.feature_cache import CacheKey, FeatureStore
store = FeatureStore(sys.argv[1], "b", "s")
key = CacheKey(7, "a" * 64)
print("ready", flush=True)
for begin in range(0, 10**6, 37):
    starts = np.arange(begin, begin + 37) * 0.25
    base = starts[:, None] * 0.01 + np.arange(2048)[None, :] * 1e-3
    store.put(key, starts, np.round(base, 2).astype(np.float32))
"""


def test_killed_writer_leaves_only_whole_vectors(tmp_path: Path) -> None:
    """A worker killed at a random moment (mid-write, mid-merge): every window found later has
    exactly the vector written for it."""
    root = tmp_path / "P.sonotag-cache"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    for delay in (0.4, 0.9):
        child = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(root)], env=env, stdout=subprocess.PIPE
        )
        assert child.stdout is not None and child.stdout.readline().startswith(b"ready")
        time.sleep(delay)
        child.kill()
        child.wait()
    store = FeatureStore(root, "b", "s")
    starts = np.arange(0, 40_000) * 0.25
    found, got = store.get(REC, starts)
    assert found.sum() > 37
    expected = _vectors(starts[found]).astype(np.float16).astype(np.float32)
    np.testing.assert_array_equal(got[found], expected)


def test_read_only_store_reads_but_never_writes_or_deletes(store: FeatureStore) -> None:
    store.put(REC, np.arange(3.0), _vectors(np.arange(3.0)))
    segment = list_segments(store.folder / recording_folder_name(REC))[0]
    segment.vectors_path.write_bytes(segment.vectors_path.read_bytes()[:-100])
    reader = FeatureStore(store.root, store.backbone, store.settings, writable=False)
    assert not reader.get(REC, np.arange(3.0))[0].any()
    assert segment.vectors_path.exists() and segment.starts_path.exists()
    with pytest.raises(ProjectError, match="read-only"):
        reader.put(REC, np.arange(3.0), _vectors(np.arange(3.0)))


def test_cache_folder_that_is_a_file_is_reported_not_overwritten(tmp_path: Path) -> None:
    root = tmp_path / "P.sonotag-cache"
    root.write_text("someone's notes")
    store = FeatureStore(root, "b", "s")
    assert not store.get(REC, np.arange(2.0))[0].any()
    with pytest.raises(ProjectError, match="could not be cached") as info:
        store.put(REC, np.arange(2.0), _vectors(np.arange(2.0)))
    assert info.value.path == root and root.read_text() == "someone's notes"


def test_removing_a_recording_removes_its_features(project: Project, rec_id: int) -> None:
    other = project.add_recording(project.directory / "b.wav", FakeInfo(), "fp-2")
    keep = FeatureStore.for_project(project, "b", "s")
    for recording in (project.recording(rec_id), other):
        keep.put(recording, np.arange(2.0), _vectors(np.arange(2.0)))
        FeatureStore.for_project(project, "c", "s").put(
            recording, np.arange(2.0), _vectors(np.arange(2.0))
        )
    project.remove_recording(rec_id)
    assert keep.recordings() == [other.id]
    assert FeatureStore.for_project(project, "c", "s").recordings() == [other.id]


def test_files_are_plain_npy(store: FeatureStore) -> None:
    """Readable with NumPy alone: the cache is not a format only Sonotag can open."""
    store.put(REC, np.array([1.5, 0.5]), _vectors(np.array([1.5, 0.5])))
    names = [p.name for p in _files(store)]
    assert sorted(n.split(".", 1)[1] for n in names) == ["starts.npy", "vectors.npy"]
    starts = np.load(next(p for p in _files(store) if p.name.endswith(STARTS)))
    vectors = np.load(next(p for p in _files(store) if p.name.endswith(VECTORS)), mmap_mode="r")
    assert starts.tolist() == [500, 1500] and vectors.shape == (2, DIM)
    assert (store.root / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f59")
