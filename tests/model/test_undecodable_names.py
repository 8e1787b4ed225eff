"""A recording whose file name is not valid UTF-8 (``caf\\xe9_\\xff.wav`` on Linux) goes through
the whole workflow from the command line: info, project new/add, label, predict (with a broken
file of the same kind listed in errors.csv) and export. The name stays exactly as the OS gives
it wherever the file is opened again, and appears with U+FFFD wherever it is shown or written
as text."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import pytest

from model.cli import main
from model.pathtext import REPLACEMENT, display
from model.project import LabelState, Project, UndoStack
from model.project.commands import AddClass, SetLabel

NAME = os.fsdecode(b"caf\xe9_\xff.wav")
BROKEN = os.fsdecode(b"cass\xe9.wav")


@pytest.fixture
def card(tmp_path: Path, real_data: Path) -> Path:
    if os.name != "posix":
        pytest.skip("file names are bytes only on POSIX systems")
    folder = tmp_path / os.fsdecode(b"carte_\xe9t\xe9")
    try:
        folder.mkdir()
    except OSError:
        pytest.skip("this file system only takes UTF-8 names")
    shutil.copyfile(real_data / "great_tit" / "2021-B32-0415_05-3.wav", folder / NAME)
    (folder / BROKEN).write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunk")
    return folder


def test_info_reads_the_file_and_prints_the_name_readably(card: Path, capsys) -> None:
    assert main(["info", str(card / NAME)]) == 0
    out = capsys.readouterr().out
    assert display(card / NAME) in out and "22050 Hz" in out


def test_project_label_predict_export(card: Path, tmp_path: Path, capsys) -> None:
    from tests.model.test_batch import make_head_bundle

    project_path = tmp_path / "p.sonotag"
    assert main(["project", "new", str(project_path), str(card / NAME)]) == 0
    with Project.open(project_path) as project:
        (rec,) = project.recordings()
        assert rec.path == (card / NAME) and rec.path.is_file()  # the OS's own bytes
        stack = UndoStack(project)
        stack.push(AddClass("great tit"))
        cls = project.class_by_name("great tit")
        stack.push(SetLabel(rec.id, 0.0, 2.0, cls.id, LabelState.PRESENT))
    with Project.open(project_path) as project:  # reopened: the label and the path are there
        (rec,) = project.recordings()
        assert rec.path.is_file()
        assert [lab.state for lab in project.labels(rec.id)] == [LabelState.PRESENT]
        from model.annotations.exporter import export_labels

        for fmt in ("raven", "csv", "audacity"):
            (table,) = export_labels(project, tmp_path / f"labels-{fmt}", fmt)
            text = table.read_text(encoding="utf-8")  # valid UTF-8 whatever the name
            assert "great tit" in text
            if fmt != "audacity":  # Audacity label tracks name no file
                assert f"caf{REPLACEMENT}_{REPLACEMENT}" in text

    model = make_head_bundle(tmp_path / "m.sonotag-model")
    out = tmp_path / "detections"
    code = main(["predict", str(model), str(card), "--out", str(out), "--offline"])
    assert code == 1  # the broken file failed; the good one was scored
    err = capsys.readouterr().err
    assert "Traceback" not in err and display(card / BROKEN) in err
    with (out / "errors.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["file", "cause"] and rows[1][0] == display(card / BROKEN)
    tables = [p for p in out.iterdir() if p.suffix == ".csv" and p.name != "errors.csv"]
    assert [p.name for p in tables] == [Path(NAME).stem + ".csv"]  # named as the OS named it
    assert display(card / NAME) in tables[0].read_text(encoding="utf-8")
