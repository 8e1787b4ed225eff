"""Issue 9: a project open in the window must survive other opens in the same and other processes.

The bug: ``inspect()`` read the header with ``open()``/``close()``, which drops every POSIX lock
the process holds on the file; a second process closing its connection then thought it was the
last, checkpointed and deleted the write-ahead log under the window. The rule now: nothing but
SQLite opens an open project's file, and a process has one connection per project.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from model.errors import AudioError, ProjectError
from model.project import Project, registry
from model.project.connection import sidecar
from tests.model.project.conftest import FakeInfo

REPO = Path(__file__).resolve().parents[3]

WRITER = """
import sys
from model.project import Project
path, rec, cls, start = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
with Project.open(path) as proj:
    for i in range(5):
        proj.put_label(rec, start + 2 * i, start + 2 * i + 2, cls, "present")
"""

READER = """
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
labels = sorted(r[0] for r in conn.execute("SELECT start_ms FROM labels"))
check = conn.execute("PRAGMA integrity_check").fetchone()[0]
conn.close()
print(json.dumps({"labels": labels, "check": check}))
"""


def run_child(code: str, *args: object) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def fresh_reader(path: Path) -> dict:
    """What a separate process reading the file from scratch sees."""
    return json.loads(run_child(READER, path))


def own_locks(path: Path) -> list[str]:
    """This process's POSIX locks on ``path`` (Linux only: /proc/locks)."""
    inode, pid = str(os.stat(path).st_ino), str(os.getpid())
    held = []
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "->" in fields:  # a blocked request: "id: -> POSIX ..."
            continue
        if fields[4] == pid and fields[5].rsplit(":", 1)[-1] == inode:
            held.append(" ".join(fields[1:]))
    return held


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Path, int, int]:
    path = tmp_path / "r.sonotag"
    with Project.create(path) as proj:
        rec = proj.add_recording(tmp_path / "a.wav", FakeInfo(), "fp").id
        cls = proj.add_class("Noise").id
    return path, rec, cls


def test_issue_reproduction_keeps_wal_and_every_label(seeded) -> None:
    """The issue's reproduction without the GUI: A holds the project and labels; A opens and
    closes it a second time; another process opens it, writes and closes. Before the fix the
    WAL was gone while A was open and a fresh reader got "disk I/O error"."""
    path, rec, cls = seeded
    window = Project.open(path)
    window.put_label(rec, 0, 2, cls, "present")
    second = Project.open(path)  # what Add recordings did in the GUI process
    second.put_label(rec, 2, 4, cls, "absent")
    second.close()
    run_child(WRITER, path, rec, cls, 100)  # the training worker
    assert sidecar(path, "-wal").exists(), "the WAL was deleted under the open project"
    window.put_label(rec, 4, 6, cls, "uncertain")
    seen = fresh_reader(path)
    expected = [0, 2000, 4000] + [100_000 + 2000 * i for i in range(5)]
    assert seen == {"labels": expected, "check": "ok"}
    window.close()
    assert not registry.open_paths()
    with Project.open(path) as proj:
        assert sorted(la.start_ms for la in proj.labels()) == expected
        assert proj.integrity_check() == "ok"


def test_same_and_other_process_open_use_close_while_held(seeded) -> None:
    """One process holds the project; this process and a second one open, use and close it,
    again and again: the WAL stays, a fresh reader sees every label, the file checks ok."""
    path, rec, cls = seeded
    holder = Project.open(path)
    expected: list[int] = []
    for round_ in range(3):
        with Project.open(path) as same:
            assert same.conn is holder.conn  # one connection per project per process
            same.put_label(rec, 1000 * round_, 1000 * round_ + 2, cls, "present")
            expected.append(1_000_000 * round_)
        run_child(WRITER, path, rec, cls, 1000 * round_ + 10)
        expected += [1000 * (1000 * round_ + 10 + 2 * i) for i in range(5)]
        holder.put_label(rec, 1000 * round_ + 500, 1000 * round_ + 502, cls, "absent")
        expected.append(1000 * (1000 * round_ + 500))
        assert sidecar(path, "-wal").exists()
        assert fresh_reader(path) == {"labels": sorted(expected), "check": "ok"}
    holder.close()
    assert fresh_reader(path) == {"labels": sorted(expected), "check": "ok"}


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks")
def test_process_keeps_its_lock_through_other_opens(seeded) -> None:
    path, rec, cls = seeded
    with Project.open(path) as holder:
        holder.labels()
        held = own_locks(path)
        assert held, "an open project holds a shared lock on its file"
        Project.open(path).close()
        Project.open(path, read_only=True).close()
        with pytest.raises(ProjectError):
            path.read_bytes()
        assert own_locks(path) == held


def test_nothing_but_sqlite_opens_an_open_project(seeded, tmp_path: Path) -> None:
    path, _rec, _cls = seeded
    project = Project.open(path)
    for opener in (
        lambda: open(path, "rb"),  # noqa: SIM115 - the point is that it is refused
        lambda: os.open(path, os.O_RDONLY),
        lambda: shutil.copyfile(path, tmp_path / "copy.sonotag"),
        lambda: open(sidecar(path, "-wal"), "rb"),  # noqa: SIM115
        lambda: open(sidecar(path, "-shm"), "rb"),  # noqa: SIM115
    ):
        with pytest.raises(ProjectError, match="open in this program"):
            opener()
    with pytest.raises(AudioError, match="Sonotag project open in this program"):
        from model.audio import probe

        probe(path)
    project.close()
    with open(path, "rb") as handle:  # closed: an ordinary file again
        assert handle.read(16) == b"SQLite format 3\x00"


def test_handles_share_one_connection_and_close_independently(seeded) -> None:
    path, rec, cls = seeded
    first = Project.open(path)
    reader = Project.open(path, read_only=True)
    assert reader.conn is first.conn and reader.read_only and not first.read_only
    with pytest.raises(ProjectError, match="read-only"):
        reader.put_label(rec, 0, 2, cls, "present")
    first.close()
    assert first.closed and not reader.closed
    with pytest.raises(ProjectError, match="closed"):
        first.labels()
    assert reader.labels() == []
    reader.close()
    assert not registry.open_paths()


def test_read_only_first_then_writable_upgrades_the_shared_connection(seeded) -> None:
    path, rec, cls = seeded
    reader = Project.open(path, read_only=True)
    writer = Project.open(path)
    writer.put_label(rec, 0, 2, cls, "present")
    assert [la.start_ms for la in reader.labels()] == [0]
    assert reader.read_only and not writer.read_only
    reader.close()
    writer.close()


def test_a_forgotten_handle_releases_its_connection(seeded) -> None:
    import gc

    path, _rec, _cls = seeded
    Project.open(path).labels()  # never closed
    gc.collect()
    assert not registry.open_paths()
