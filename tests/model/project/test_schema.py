"""Schema versions: upgrading a version-1 file, and refusing files we must not touch."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from model.errors import ProjectError
from model.project import SCHEMA_VERSION, LabelState, Project
from tests.model.project.conftest import FIXTURES

V1 = FIXTURES / "project_v1.sonotag"


def _fingerprint(path: Path) -> tuple[bytes, int, list[str]]:
    """Bytes, mtime and the files beside it: all must be unchanged after a refusal."""
    return path.read_bytes(), path.stat().st_mtime_ns, sorted(os.listdir(path.parent))


@pytest.fixture
def v1_copy(tmp_path: Path, real_data: Path) -> Path:
    target = tmp_path / "old.sonotag"
    shutil.copyfile(V1, target)
    (tmp_path / "audio").mkdir()
    for name in ("2021-B32-0415_05-11.wav", "2021-SW83-0418_04-77.wav"):
        shutil.copyfile(real_data / "great_tit" / name, tmp_path / "audio" / name)
    return target


def test_fixture_is_version_1() -> None:
    conn = sqlite3.connect(f"{V1.as_uri()}?mode=ro&immutable=1", uri=True)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    columns = [row[1] for row in conn.execute("PRAGMA table_info(labels)")]
    assert "author" not in columns and "note" not in columns
    conn.close()
    assert V1.stat().st_size < 100_000


def test_v1_file_is_migrated_with_data_kept(v1_copy: Path) -> None:
    raw = sqlite3.connect(v1_copy)
    old_labels = raw.execute(
        "SELECT id, recording_id, start_ms, end_ms, class_id, state, created FROM labels"
    ).fetchall()
    raw.close()
    with Project.open(v1_copy) as proj:
        assert proj.migrated_from == 1
        assert proj.backup == v1_copy.with_name("old.sonotag.v1.bak")
        assert proj.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        recs = proj.recordings()
        assert [r.stored_path for r in recs] == [
            "audio/2021-B32-0415_05-11.wav",
            "audio/2021-SW83-0418_04-77.wav",
        ]
        assert all(r.exists for r in recs) and recs[0].sample_rate == 22_050
        assert [(c.name, c.shortcut) for c in proj.classes()] == [
            ("Great tit", "1"),
            ("Blue tit", "2"),
        ]
        labels = proj.labels()
        assert [
            (lb.id, lb.recording_id, lb.start_ms, lb.end_ms, lb.class_id, lb.state.value,
             lb.created.isoformat())
            for lb in labels
        ] == sorted(old_labels, key=lambda r: (r[1], r[2], r[3], r[4]))  # fmt: skip
        assert all(lb.author == "" and lb.note == "" for lb in labels)
        # The new tables work on an upgraded file.
        proj.put_label(recs[0].id, 0, 2, labels[0].class_id, LabelState.ABSENT, note="x")
        proj.set_meta("k", "v")
        model = proj.add_model("m", "m.keras", {}, {})
        assert proj.active_model() == model
        assert proj.integrity_check() == "ok"
    with Project.open(v1_copy) as again:  # reopening does not migrate again
        assert again.migrated_from is None and again.get_meta("k") == "v"
    backup = sqlite3.connect(v1_copy.with_name("old.sonotag.v1.bak"))
    assert backup.execute("PRAGMA user_version").fetchone()[0] == 1
    assert backup.execute("SELECT count(*) FROM labels").fetchone()[0] == len(old_labels)
    backup.close()


def test_failed_migration_leaves_the_file_at_its_old_version(v1_copy: Path, monkeypatch) -> None:
    from model.project import schema

    def half_done(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE labels ADD COLUMN author TEXT NOT NULL DEFAULT ''")
        conn.execute("THIS IS NOT SQL")

    monkeypatch.setattr(schema, "MIGRATIONS", [half_done])
    with pytest.raises(ProjectError, match="upgrade from schema 1 failed"):
        Project.open(v1_copy)
    raw = sqlite3.connect(v1_copy)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "author" not in [row[1] for row in raw.execute("PRAGMA table_info(labels)")]
    raw.close()
    monkeypatch.undo()
    with Project.open(v1_copy) as proj:  # a later, working version still upgrades it
        assert proj.migrated_from == 1 and len(proj.labels()) == 5


def test_fresh_and_migrated_schemas_are_identical(tmp_path: Path, v1_copy: Path) -> None:
    def schema(conn: sqlite3.Connection) -> list[tuple]:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return sorted(
            (t, *col) for t in tables for col in conn.execute(f"PRAGMA table_info('{t}')")
        )

    Project.open(v1_copy).close()
    with Project.create(tmp_path / "new.sonotag") as fresh:
        fresh_schema = schema(fresh.conn)
    migrated = sqlite3.connect(v1_copy)
    assert schema(migrated) == fresh_schema
    migrated.close()


def test_old_file_on_read_only_media_is_viewed_upgraded_in_memory(v1_copy: Path) -> None:
    before = _fingerprint(v1_copy)
    with Project.open(v1_copy, read_only=True) as proj:
        assert proj.read_only and proj.migrated_from == 1
        assert len(proj.labels()) == 5 and proj.labels()[0].note == ""
        assert proj.models() == []
    assert _fingerprint(v1_copy)[:2] == before[:2]


def test_newer_version_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.sonotag"
    Project.create(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = _fingerprint(path)
    for read_only in (None, False, True):
        with pytest.raises(ProjectError) as info:
            Project.open(path, read_only=read_only)
        message = str(info.value)
        assert f"newer Sonotag (schema {SCHEMA_VERSION + 1})" in message
        assert f"reads up to {SCHEMA_VERSION}" in message and "update" in message
        assert str(path) in message
    assert _fingerprint(path) == before


def _truncated(path: Path) -> None:
    with Project.create(path) as proj:
        rec = proj.add_recording(path.parent / "a.wav", _Info(), "fp")
        k = proj.add_class("k").id
        for i in range(400):
            proj.put_label(rec.id, i * 2, i * 2 + 2, k, "present", note="x" * 200)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _foreign_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE birds (name TEXT)")
    conn.commit()
    conn.close()


def _damaged_page(path: Path) -> None:
    Project.create(path).close()
    data = bytearray(path.read_bytes())
    data[4096 : 4096 * 3] = os.urandom(4096 * 2)  # wreck the table pages, keep the header
    path.write_bytes(bytes(data))


class _Info:
    sample_rate, channels, frames, duration, start_time = 8000, 1, 8000, 1.0, None


@pytest.mark.parametrize(
    ("make", "cause"),
    [
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_text("Selection\tBegin Time (s)\n1\t0.5\n"), "not a database"),
        (lambda p: p.write_bytes(os.urandom(8192)), "not a database"),
        (lambda p: p.write_bytes(b"SQLite format 3\x00" + os.urandom(8000)), "damaged|not a"),
        (_foreign_sqlite, "not a Sonotag project"),
        (_truncated, "damaged"),
        (_damaged_page, "damaged"),
    ],
    ids=["empty", "text", "garbage", "garbage-with-header", "other-sqlite", "truncated", "page"],
)
def test_unusable_files_are_refused_and_untouched(tmp_path: Path, make, cause: str) -> None:
    path = tmp_path / "bad.sonotag"
    make(path)
    before = _fingerprint(path)
    with pytest.raises(ProjectError, match=cause) as info:
        Project.open(path)
    assert info.value.path == path
    assert _fingerprint(path) == before


def test_missing_file_and_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="not found"):
        Project.open(tmp_path / "nope.sonotag")
    with pytest.raises(ProjectError, match="folder"):
        Project.open(tmp_path)


V2 = FIXTURES / "project_v2.sonotag"


def _v2_features(path: Path) -> list[tuple[str, str, int, int, int, bytes]]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
    rows = conn.execute(
        "SELECT backbone, settings_fp, recording_id, start_ms, dim, vector FROM features"
    ).fetchall()
    conn.close()
    return rows


def test_fixture_is_version_2_with_features_inside() -> None:
    conn = sqlite3.connect(f"{V2.as_uri()}?mode=ro&immutable=1", uri=True)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    conn.close()
    rows = _v2_features(V2)
    assert len({r[0] for r in rows}) == 2 and {r[4] for r in rows} == {2048, 16}


def test_v2_features_move_to_the_cache_folder_with_a_backup(tmp_path: Path) -> None:
    from model.project.feature_cache import FeatureStore, cache_folder

    path = tmp_path / "P.sonotag"
    shutil.copyfile(V2, path)
    rows = _v2_features(path)
    with Project.open(path) as proj:
        assert proj.migrated_from == 2
        assert proj.backup == path.with_name("P.sonotag.v2.bak")
        tables = {r[0] for r in proj.conn.execute("SELECT name FROM sqlite_master")}
        assert "features" not in tables
        assert [m.name for m in proj.models()] == ["first"] and len(proj.labels()) == 5
        assert proj.predictions(1, 2)[2].shape == (3, 2)
        recordings = {r.id: r for r in proj.recordings()}
        moved = 0
        for backbone, settings, rid, start_ms, dim, blob in rows:
            store = FeatureStore.for_project(proj, backbone, settings)
            found, got = store.get(recordings[rid], np.array([start_ms / 1000]))
            if dim != 2048:  # the odd row out could never have been used: left behind
                assert not found.any()
                continue
            assert found.all()
            np.testing.assert_array_equal(got[0], np.frombuffer(blob, np.float16))
            moved += 1
        assert moved == len(rows) - 1
        assert proj.integrity_check() == "ok"
    assert (cache_folder(path) / "CACHEDIR.TAG").exists()
    assert _v2_features(path.with_name("P.sonotag.v2.bak")) == rows  # the backup keeps them
    with Project.open(path) as again:
        assert again.migrated_from is None


def test_v2_upgrade_gives_the_space_back(tmp_path: Path) -> None:
    """A file that was mostly feature cache shrinks once the cache has moved out."""
    path = tmp_path / "big.sonotag"
    shutil.copyfile(V2, path)
    conn = sqlite3.connect(path)
    blob = np.ones(2048, np.float16).tobytes()
    conn.executemany(
        "INSERT INTO features(backbone, settings_fp, recording_id, start_ms, dim, vector) "
        "VALUES ('b', 's', 1, ?, 2048, ?)",
        [(20_000 + i, blob) for i in range(500)],
    )
    conn.commit()
    conn.close()
    before = path.stat().st_size
    Project.open(path).close()
    assert path.stat().st_size < before / 3


def test_v2_upgrade_that_cannot_write_the_cache_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "P.sonotag"
    shutil.copyfile(V2, path)
    blocker = tmp_path / "P.sonotag-cache"
    blocker.write_text("not a folder")
    with pytest.raises(ProjectError, match="upgrade from schema 2 failed") as info:
        Project.open(path)
    assert info.value.path == path and "P.sonotag-cache" in str(info.value)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 2
    assert raw.execute("SELECT count(*) FROM features").fetchone()[0] == len(_v2_features(V2))
    raw.close()
    blocker.unlink()
    with Project.open(path) as proj:  # once the way is clear it upgrades
        assert proj.migrated_from == 2


def test_v2_on_read_only_media_is_viewed_without_its_cache(tmp_path: Path) -> None:
    path = tmp_path / "P.sonotag"
    shutil.copyfile(V2, path)
    before = _fingerprint(path)
    with Project.open(path, read_only=True) as proj:
        assert proj.migrated_from == 2 and len(proj.labels()) == 5
    assert _fingerprint(path)[:2] == before[:2]
    assert not (tmp_path / "P.sonotag-cache").exists()


V3 = FIXTURES / "project_v3.sonotag"


def test_fixture_is_version_3_without_boxes() -> None:
    conn = sqlite3.connect(f"{V3.as_uri()}?mode=ro&immutable=1", uri=True)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "boxes" not in tables and "features" not in tables
    conn.close()


def test_v3_file_gets_boxes_with_everything_else_kept(tmp_path: Path) -> None:
    path = tmp_path / "P.sonotag"
    shutil.copyfile(V3, path)
    raw = sqlite3.connect(path)
    old_labels = raw.execute("SELECT * FROM labels ORDER BY id").fetchall()
    raw.close()
    with Project.open(path) as proj:
        assert proj.migrated_from == 3
        assert proj.backup == path.with_name("P.sonotag.v3.bak")
        assert proj.conn.execute("SELECT * FROM labels ORDER BY id").fetchall() == old_labels
        assert proj.get_meta("made_by") == "make_v3.py"
        assert [m.name for m in proj.models()] == ["first"]
        assert proj.predictions(1, 1)[2].shape == (3, 2)
        assert proj.boxes() == []
        rec = proj.recordings()[0]
        box = proj.add_box(rec.id, 0.5, 1.25, 2000.0, 4500.0, proj.classes()[0].id)
        assert proj.boxes() == [box]
        assert proj.integrity_check() == "ok"
    with Project.open(path) as again:
        assert again.migrated_from is None and again.boxes() == [box]


def test_v3_on_read_only_media_is_viewed_with_an_empty_boxes_table(tmp_path: Path) -> None:
    path = tmp_path / "P.sonotag"
    shutil.copyfile(V3, path)
    before = _fingerprint(path)
    with Project.open(path, read_only=True) as proj:
        assert proj.migrated_from == 3 and proj.boxes() == [] and len(proj.labels()) == 5
    assert _fingerprint(path)[:2] == before[:2]
