"""Issue 9 through the window: Add recordings (file dialog, then the ingest job) and a worker
process writing to the project while the window labels must not lose a label or the WAL."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from PySide6.QtCore import Qt

from app import file_dialogs
from model.project.connection import sidecar
from tests.app.conftest import click_at
from tests.model.project.test_one_connection import READER, run_child


def fresh_reader(path: Path) -> dict:
    return json.loads(run_child(READER, path))


def window_labels(window) -> list[int]:
    return sorted(la.start_ms for la in window.project.labels())


def test_add_recordings_and_a_worker_keep_every_window_label(qtbot, window, real_data) -> None:
    path = window.project.path
    rec = window.recording.id
    for t in (5.0, 9.0):
        click_at(qtbot, window, t)
        qtbot.keyClick(window.spectrogram, Qt.Key.Key_1)
    # File ▸ Add recordings: the dialog lists the project folder, then the ingest job runs.
    dialog = file_dialogs._dialog(window, "Add recordings", str(path.parent), "Audio (*.wav)")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.wait(500)
    dialog.reject()
    new = path.parent / "added.wav"
    shutil.copy(real_data / "great_tit" / "2021-B32-0415_05-11.wav", new)
    job = window.add_recordings([new])
    with qtbot.waitSignal(job.ended, timeout=30_000):
        pass
    # A worker process (as training does) opens the project, writes and closes it.
    work = window.jobs.run_process(
        "worker",
        "tests.model.job_targets:label_in_worker",
        project_path=str(path),
        recording_id=rec,
        class_id=1,
        starts=[100.0, 102.0],
    )
    with qtbot.waitSignal(work.ended, timeout=60_000):
        pass
    click_at(qtbot, window, 13.0)
    qtbot.keyClick(window.spectrogram, Qt.Key.Key_2)
    assert sidecar(path, "-wal").exists(), "the WAL was deleted under the window"
    seen = fresh_reader(path)
    assert seen["check"] == "ok"
    assert seen["labels"] == window_labels(window)
    assert {100_000, 102_000} <= set(seen["labels"])
    window.close()
    assert window.jobs.wait_all(10_000)
    after = fresh_reader(path)
    assert after == seen
