"""File ▸ Save a copy: a consistent copy of an open project, made with SQLite's backup API."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from model.errors import ProjectError
from model.jobs import Cancelled, Reporter
from model.project import Project
from model.project.maintenance import cache_folder, models_folder, save_copy_job
from tests.model.project.conftest import FakeInfo


@pytest.fixture
def open_project(tmp_path: Path):
    path = tmp_path / "work" / "r.sonotag"
    path.parent.mkdir()
    proj = Project.create(path)
    rec = proj.add_recording(path.parent / "audio" / "a.wav", FakeInfo(), "fp").id
    cls = proj.add_class("A").id
    for i in range(300):
        proj.put_label(rec, 2 * i, 2 * i + 2, cls, "present", note="n" * 500)
    bundle = models_folder(path) / "m.sonotag-model"
    bundle.parent.mkdir()
    bundle.write_bytes(b"model bytes")
    proj.add_model("m", bundle, {"kind": "head"}, {})
    cache = cache_folder(path) / "b" / "1.npy"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"features")
    yield proj, rec, cls
    proj.close()


def test_copy_while_open_and_labelling(open_project, tmp_path: Path) -> None:
    proj, rec, cls = open_project
    stop = threading.Event()

    def keep_labelling() -> None:
        i = 0
        while not stop.is_set():
            proj.put_label(rec, 10_000 + 2 * i, 10_002 + 2 * i, cls, "absent")
            i += 1

    writer = threading.Thread(target=keep_labelling)
    writer.start()
    target = tmp_path / "usb" / "copy.sonotag"
    target.parent.mkdir()
    try:
        seen = []
        assert save_copy_job(Reporter(seen.append), proj.path, target) == target
    finally:
        stop.set()
        writer.join()
    assert seen[-1].done == seen[-1].total == 1000
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file to carry
    labels = conn.execute("SELECT count(*) FROM labels WHERE start_ms < 10000000").fetchone()[0]
    assert labels == 300
    assert conn.execute("SELECT count(*) FROM meta WHERE key LIKE 'session:%'").fetchone() == (0,)
    conn.close()
    with Project.open(target) as copy:
        assert copy.recordings()[0].path == proj.recordings()[0].path  # still the same audio
        model = copy.models()[0]
        assert model.file == models_folder(target) / "m.sonotag-model"
        assert model.file.read_bytes() == b"model bytes"
    assert not cache_folder(target).exists()  # a cache: left out unless asked
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.models", "copy.sonotag"]


def test_copy_with_the_cache_when_asked(open_project, tmp_path: Path) -> None:
    proj, _rec, _cls = open_project
    target = tmp_path / "copy.sonotag"
    save_copy_job(Reporter(), proj.path, target, include_cache=True)
    assert (cache_folder(target) / "b" / "1.npy").read_bytes() == b"features"


def test_cancel_leaves_nothing_behind(open_project, tmp_path: Path) -> None:
    proj, _rec, _cls = open_project
    target = tmp_path / "out" / "copy.sonotag"
    target.parent.mkdir()
    for cancel_at in (100, 800, 900):
        reporter = Reporter()

        def progress(p, r=reporter, at=cancel_at) -> None:
            if p.done >= at:
                r.cancel()

        reporter._on_progress = progress
        with pytest.raises(Cancelled):
            save_copy_job(reporter, proj.path, target, include_cache=True)
        assert list(target.parent.iterdir()) == []


def test_refuses_to_overwrite_the_project_or_an_open_one(open_project, tmp_path: Path) -> None:
    proj, _rec, _cls = open_project
    with pytest.raises(ProjectError, match="the project itself"):
        save_copy_job(Reporter(), proj.path, proj.path)
    with Project.create(tmp_path / "other.sonotag") as other:
        with pytest.raises(ProjectError, match="open in this program"):
            save_copy_job(Reporter(), proj.path, other.path)
