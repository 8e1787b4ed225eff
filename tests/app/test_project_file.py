"""File ▸ Save a copy…, File ▸ Check project… and the idle checkpoint that keeps the file
copy-safe (issue 9), and the background check after an unclean shutdown (issue 18)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.project_file import IDLE_CHECKPOINT_S, SaveCopyDialog
from model.project.feature_cache import cache_folder
from tests.app.conftest import click_at
from tests.model.project.test_cheap_open import crash_while_open
from tests.model.project.test_one_connection import run_child

COPY = "import shutil, sys; shutil.copyfile(sys.argv[1], sys.argv[2])"
LABELS = """
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
print(json.dumps(sorted(r[0] for r in conn.execute("SELECT start_ms FROM labels"))))
"""


def labels_in(path: Path) -> list[int]:
    return json.loads(run_child(LABELS, path))


def label(qtbot, window, t: float, key=Qt.Key.Key_1) -> None:
    click_at(qtbot, window, t)
    qtbot.keyClick(window.spectrogram, key)


def test_save_a_copy_while_labelling(qtbot, window, output_dir, errors, tmp_path) -> None:
    cache = cache_folder(window.project.path)
    (cache / "store").mkdir(parents=True)
    (cache / "store" / "x.npy").write_bytes(b"0" * 3_000_000)
    dialog = SaveCopyDialog(window.project, window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.include_cache.isEnabled() and not dialog.include_cache.isChecked()
    assert "3 MB" in dialog.include_cache.text()
    dialog.grab().save(str(output_dir / "save_a_copy_dialog.png"))
    target = tmp_path / "stick" / "field season copy.sonotag"
    target.parent.mkdir()
    dialog.target.setText(str(target))
    assert dialog.chosen() == (target, False)
    dialog.reject()
    label(qtbot, window, 5.0)
    job = window.project_file.save_copy(target)
    label(qtbot, window, 13.0)  # the window keeps labelling while the copy is written
    with qtbot.waitSignal(job.ended, timeout=30_000):
        pass
    assert errors == []
    copied = labels_in(target)
    assert 4000 in copied  # everything saved before the copy started
    assert not cache_folder(target).exists()  # the cache only when asked
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_check_project_reports_a_sound_file(qtbot, window, errors) -> None:
    job = window.project_file.check_project()
    seen = []
    job.progress.connect(seen.append)
    with qtbot.waitSignal(job.ended, timeout=30_000):
        pass
    assert errors == [] and seen
    boxes = [
        b for b in window.findChildren(QMessageBox) if b.objectName() == "sonotag-check-result"
    ]
    assert boxes and "sound" in boxes[0].text()
    boxes[0].accept()


def test_the_main_file_alone_is_up_to_date_after_a_pause(qtbot, window, tmp_path) -> None:
    """A copy of just the .sonotag file (no -wal), taken a few seconds after the last edit,
    holds that edit: what a user copying the project to a USB stick gets."""
    path = window.project.path
    label(qtbot, window, 21.0)
    qtbot.wait(int((IDLE_CHECKPOINT_S + 2.5) * 1000))
    copy = tmp_path / "copied.sonotag"
    run_child(COPY, path, copy)  # another process: its open() cannot unlock the window's file
    assert 20_000 in labels_in(copy)


def test_unclean_shutdown_is_checked_in_the_background(
    qtbot, prefs, fake_output, demo_project, errors
) -> None:
    from tests.app.conftest import make_window

    crash_while_open(demo_project)
    window = make_window(qtbot, prefs, fake_output)
    said: list[str] = []
    window.context.status.connect(said.append)
    assert window.open_project(demo_project)  # at once: the check does not hold it up
    job = window.project_file.check_job
    assert job is not None and window.project.check_due
    with qtbot.waitSignal(job.ended, timeout=60_000):
        pass
    assert any("not closed properly" in text for text in said)
    assert not window.project.check_due and errors == []
    window.close()
    assert window.jobs.wait_all(10_000)
