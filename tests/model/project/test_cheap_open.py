"""Issue 18, cheap opening: no whole-file check on a normal open; one after an unclean shutdown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from model.errors import ProjectError
from model.jobs import Cancelled, Reporter
from model.project import Project, maintenance
from tests.model.project.conftest import FakeInfo

REPO = Path(__file__).resolve().parents[3]

HOLD = """
import sys, time
from model.project import Project
proj = Project.open(sys.argv[1])
proj.add_class("from the crashed process")
print("ready", flush=True)
time.sleep(600)
"""


def crash_while_open(path: Path) -> int:
    """A process opens the project and is killed (power cut, crash); returns its pid."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    child.kill()
    child.wait()
    return child.pid


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "p.sonotag"
    with Project.create(path) as proj:
        rec = proj.add_recording(tmp_path / "a.wav", FakeInfo(), "fp").id
        cls = proj.add_class("A").id
        for i in range(200):
            proj.put_label(rec, 2 * i, 2 * i + 2, cls, "present")
    return path


def test_clean_close_needs_no_check(path: Path, monkeypatch) -> None:
    ran = []
    monkeypatch.setattr(maintenance, "check_connection", lambda *a, **k: ran.append(a))
    with Project.open(path) as proj:
        assert not proj.check_due
    assert ran == []


def test_unclean_shutdown_is_detected_and_checked_once(path: Path, monkeypatch) -> None:
    crash_while_open(path)
    with Project.open(path, read_only=True, deep_check=False) as viewer:
        assert viewer.check_due  # a read-only look sees it too
    with Project.open(path, deep_check=False) as proj:
        assert proj.check_due  # the GUI runs the check in the background instead
        assert proj.class_by_name("from the crashed process") is not None
    real = maintenance.check_connection
    ran = []
    monkeypatch.setattr(
        maintenance, "check_connection", lambda *a, **k: ran.append(1) or real(*a, **k)
    )
    with Project.open(path) as proj:  # the default: check now, since one is due
        assert not proj.check_due
    assert ran == [1]
    with Project.open(path) as proj:
        assert not proj.check_due
    assert ran == [1]


def test_a_worker_ended_on_purpose_is_no_crash(path: Path) -> None:
    with Project.open(path) as proj:
        pid = crash_while_open(path)
        proj.forget_session(pid)
    with Project.open(path, deep_check=False) as proj:
        assert not proj.check_due


def test_damage_found_by_the_check_after_a_crash(path: Path) -> None:
    crash_while_open(path)
    with Project.open(path, deep_check=False) as proj:
        proj.checkpoint()
        leaves = proj.conn.execute(
            "SELECT pageno FROM dbstat WHERE name = 'labels' AND pagetype = 'leaf' ORDER BY 1"
        ).fetchall()
    page = leaves[-1][0]  # not the first leaf, which opening reads
    data = bytearray(path.read_bytes())
    data[(page - 1) * 4096 : (page - 1) * 4096 + 8] = b"\xff" * 8  # an impossible page type
    path.write_bytes(bytes(data))
    with pytest.raises(ProjectError, match="damaged"):
        Project.open(path)
    with Project.open(path, deep_check=False) as proj:  # the cheap open does not see it
        assert proj.check_due
        result = maintenance.check_job(Reporter(), path)
        assert not result.ok and "damaged" in result.summary()


def test_check_job_reports_progress_and_cancels(path: Path) -> None:
    seen = []
    result = maintenance.check_job(Reporter(seen.append), path)
    assert result.ok and "sound" in result.summary()
    assert seen and seen[0].total == 1000

    reporter = Reporter()
    reporter.cancel()
    with pytest.raises(Cancelled):
        maintenance.check_job(reporter, path)
