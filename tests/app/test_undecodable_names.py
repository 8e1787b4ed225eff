"""The GUI with a recording whose name is not valid UTF-8: ``sonotag open`` starts (it used to
segfault inside QApplication), the name is listed with U+FFFD instead of losing characters,
labelling works, and a name coming back from a Qt file dialog finds the real file again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app import dialogs
from app.launch import build_window
from model.pathtext import REPLACEMENT, display
from tests.app.conftest import click_at, stored_labels

REPO = Path(__file__).resolve().parents[2]
NAME = os.fsdecode(b"caf\xe9_\xff.wav")


@pytest.fixture
def recording(tmp_path: Path, real_data: Path) -> Path:
    if os.name != "posix":
        pytest.skip("file names are bytes only on POSIX systems")
    target = tmp_path / NAME
    try:
        shutil.copyfile(real_data / "great_tit" / "2021-B32-0415_05-3.wav", target)
    except OSError:
        pytest.skip("this file system only takes UTF-8 names")
    return target


def test_sonotag_open_starts_and_quits(recording: Path, tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SONOTAG_SMOKE_QUIT_AFTER_MS="300",
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               PYTHONPATH=str(REPO))  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "app.entry", "open", os.fsencode(recording)],
        env=env, cwd=REPO, capture_output=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    assert b"Traceback" not in result.stderr


def test_the_name_is_shown_and_the_clip_labelled(qtbot, prefs, recording, tmp_path,
                                                 output_dir) -> None:  # fmt: skip
    window = build_window(None, [recording], prefs=prefs, data_dir=tmp_path / "data")
    qtbot.addWidget(window)
    assert window.jobs.wait_all(30_000)
    qtbot.waitUntil(lambda: window.recording is not None, timeout=10_000)
    assert window.recording.path == recording
    rows = window.panel.recordings_table.model()
    shown = [rows.index(row, 0).data() for row in range(rows.rowCount())]
    assert shown == [f"caf{REPLACEMENT}_{REPLACEMENT}.wav"]
    window.panel.add_class("great tit", "#4e79a7")
    window.snap_action.trigger()
    assert window.spectrogram.wait_until_rendered(10_000)
    click_at(qtbot, window, 1.0)
    qtbot.keyClick(window.spectrogram, Qt.Key.Key_1)
    assert (0.0, 2.0, "great tit", "present") in stored_labels(
        window.project.path, window.recording.id
    )
    window.grab().save(str(output_dir / "undecodable_name.png"))
    window.close()


def test_a_lossy_name_from_a_file_dialog_finds_the_file(recording: Path, monkeypatch) -> None:
    def fake_dialog(*args: object, **kwargs: object) -> tuple[list[str], str]:
        return [display(recording)], ""  # Qt decodes the bytes as U+FFFD

    monkeypatch.setattr(dialogs.file_dialogs, "get_open_file_names", fake_dialog)
    assert dialogs.ask_audio_files(None, recording.parent) == [recording]


def test_a_project_with_such_a_name_is_remembered_exactly(tmp_path: Path) -> None:
    """Qt's settings file drops the bytes that are not UTF-8; the last and recent projects
    must still name the real file after a restart."""
    from app.settings import Preferences

    if os.name != "posix":
        pytest.skip("file names are bytes only on POSIX systems")
    project = tmp_path / os.fsdecode(b"saison_\xe9t\xe9.sonotag")
    try:
        project.write_bytes(b"")
    except OSError:
        pytest.skip("this file system only takes UTF-8 names")
    prefs = Preferences.at(tmp_path / "prefs.ini")
    prefs.add_recent_project(project)
    prefs.last_audio_dir = project.parent
    prefs.sync()
    again = Preferences.at(tmp_path / "prefs.ini")
    assert again.last_project == project and again.recent_projects() == [project]
    assert again.last_audio_dir == project.parent
