"""Places that cannot be written are refused up front with the cause (``model.writable``), and a
project cannot be created there: a clear ProjectError, never ``sqlite3.OperationalError``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from model.cli import main
from model.errors import ProjectError, SonotagError
from model.project import Project
from model.writable import check_can_create_in, check_output_file, check_output_folder

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="/proc and /sys are Linux's")


@linux_only
@pytest.mark.parametrize("folder", ["/proc", "/sys"])
def test_project_in_a_folder_that_takes_no_files(folder: str, capsys) -> None:
    target = Path(folder) / "field.sonotag"
    with pytest.raises(ProjectError, match="cannot create the project file") as caught:
        Project.create(target)
    assert caught.value.path == target
    assert not target.exists()
    assert main(["project", "new", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(target) in err and "Traceback" not in err


def test_project_where_a_file_stands_for_the_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ProjectError, match="folder does not exist"):
        Project.create(tmp_path / "notes.txt" / "p.sonotag")


def test_output_checks_name_the_cause(tmp_path: Path) -> None:
    check_can_create_in(tmp_path)
    check_output_file(tmp_path / "model.sonotag-model")
    check_output_folder(tmp_path / "new" / "deeper")  # created later: its parent is writable
    assert not (tmp_path / "new").exists()  # the check leaves nothing behind
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(SonotagError, match="is a folder"):
        check_output_file(tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(SonotagError, match="is a file, not a folder"):
        check_output_folder(tmp_path / "file")
    with pytest.raises(SonotagError, match="does not exist"):
        check_can_create_in(tmp_path / "absent")


@linux_only
def test_output_checks_refuse_proc() -> None:
    with pytest.raises(SonotagError, match="does not accept new files"):
        check_output_file(Path("/proc/x.sonotag-model"))
    with pytest.raises(SonotagError, match="does not accept new files"):
        check_output_folder(Path("/proc/detections"))
