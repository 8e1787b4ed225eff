"""The main window: projects, recordings, errors, playback, preferences, start-up, and a picture."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDropEvent
from PySide6.QtWidgets import QMessageBox

from app.launch import build_window, startup_project
from app.settings import Preferences
from tests.app.conftest import click_at, make_window, stored_labels

GREAT_TIT = "great_tit/2021-B32-0415_05-3.wav"
PETREL = "pykanto-raw/STORM-PETREL/XC663885.wav"


def wait_job(qtbot, job) -> None:
    assert job is not None
    with qtbot.waitSignal(job.ended, timeout=30_000):
        pass


def test_opening_the_demo_shows_its_first_recording(window) -> None:
    # the recording first (what a task bar shows), then the project
    assert window.windowTitle() == "B32_20210415_050630.flac — demo — Sonotag"
    assert window.recording.path.name == "B32_20210415_050630.flac"
    assert window.spectrogram.wait_until_rendered(10_000)
    assert window.spectrogram.view_range() == pytest.approx((0.0, 30.0))
    stored = window.project.labels(recording_id=window.recording.id)
    assert len(window.overlay.labels()) == len(stored) > 0
    assert window.labelling.active_class_id == window.panel.current_class_id() == 1
    assert window.prefs.recent_projects()[0] == window.project.path


def test_corrupt_project_is_reported_and_the_app_stays_usable(qtbot, window, errors, tmp_path):
    bad = tmp_path / "broken.sonotag"
    bad.write_bytes(b"this is not a database" * 100)
    demo = window.project.path
    assert not window.open_project(bad)
    assert len(errors) == 1 and errors[0][0] == "Cannot open the project"
    assert str(bad) in errors[0][1] and "Cause:" in errors[0][1]
    boxes = [w for w in window.findChildren(QMessageBox) if w.objectName() == "sonotag-error"]
    assert boxes and boxes[0].isVisible() and str(bad) in boxes[0].informativeText()
    boxes[0].accept()
    # Still the demo, and labelling still works.
    assert window.project.path == demo
    click_at(qtbot, window, 5.0)
    qtbot.keyClick(window.spectrogram, Qt.Key.Key_3)
    assert (4.0, 6.0, "Noise", "present") in stored_labels(demo, window.recording.id)


def test_unreadable_recording_is_reported_when_chosen(qtbot, window, errors, real_data, tmp_path):
    copy = tmp_path / "copy.wav"
    shutil.copy(real_data / GREAT_TIT, copy)
    rec = window.project.add_recording(copy)
    copy.write_bytes(b"RIFF\x00\x00\x00\x00garbage")  # the card was pulled out mid-write
    window.panel.refresh()
    assert not window.show_recording(rec.id)
    assert errors[-1][0] == "Cannot open the recording" and str(copy) in errors[-1][1]
    assert window.recording is None and window.spectrogram.info() is None
    assert window.show_recording(1)  # another recording still opens


def test_adding_files_skips_the_broken_one_and_names_it(qtbot, window, errors, real_data, tmp_path):
    folder = tmp_path / "card"
    folder.mkdir()
    shutil.copy(real_data / GREAT_TIT, folder / "good.wav")
    (folder / "broken.wav").write_bytes(b"\x00" * 10)
    job = window.add_recordings([folder])
    wait_job(qtbot, job)
    model = window.panel.recordings_table.model()
    names = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert "good.wav" in names and "broken.wav" not in names
    assert errors[-1][0] == "Some files were skipped"
    assert str(folder / "broken.wav") in errors[-1][1]
    assert "added 1 recording" in window.statusBar().currentMessage()


def test_dropping_a_folder_adds_its_recordings(qtbot, window, real_data, tmp_path) -> None:
    folder = tmp_path / "dropped"
    folder.mkdir()
    shutil.copy(real_data / GREAT_TIT, folder / "a.wav")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    event = QDropEvent(
        QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    before = len(window.project.recordings())
    window.dropEvent(event)
    assert window.jobs.wait_all(30_000)
    qtbot.waitUntil(lambda: len(window.panel.visible_recording_ids()) == before + 1)


def test_space_plays_the_selected_clip_and_the_playhead_follows(qtbot, window, fake_output):
    click_at(qtbot, window, 10.0)
    clip = window.labelling.selection.clip
    qtbot.keyClick(window.spectrogram, Qt.Key.Key_L)
    assert window.playback.loop and window.prefs.playback_loop
    window.listening.set_speed(0.5)
    with qtbot.waitSignal(window.playback.state_changed, timeout=5000):
        qtbot.keyClick(window.spectrogram, Qt.Key.Key_Space)
    assert window.playback.current_span == (window.recording.path, clip.start, clip.end)
    with qtbot.waitSignal(window.playback.position_changed, timeout=3000):
        fake_output.advance(48_000)  # one second of output = half a second of recording at 0.5×
    assert window.playhead.visible
    assert window.playhead.x == pytest.approx(clip.start + 0.5, abs=0.1)
    assert "Playing, 0.5×, loop" == window.listening.status_label.text()
    qtbot.keyClick(window.spectrogram, Qt.Key.Key_Space)
    assert window.playback.state == "paused"
    window.spectrogram.set_freq_range(2000.0, 8000.0)
    window.listening.band.trigger()  # band-pass to what is visible
    assert window.playback.band == pytest.approx((2000.0, 8000.0))
    assert window.prefs.playback_band_pass


def test_without_a_sound_card_the_status_bar_says_why(qtbot, prefs, demo_project) -> None:
    from model.playback.fake import FakeOutput

    reason = "Playback off: no audio output device"
    window = make_window(qtbot, prefs, FakeOutput(available=False, reason=reason))
    assert window.open_project(demo_project)
    window.panel.select_recording(window.project.first_recording_id())
    click_at(qtbot, window, 10.0)
    qtbot.keyClick(window.spectrogram, Qt.Key.Key_Space)
    assert window.listening.status_label.text() == reason
    qtbot.keyClick(window.spectrogram, Qt.Key.Key_1)  # labelling is unaffected
    assert window.project.labels_in(window.recording.id, 9.0, 11.0)
    window.close()


def test_shortcut_sheet_lists_the_live_bindings(qtbot, window) -> None:
    qtbot.keyClick(window.spectrogram, Qt.Key.Key_F1)
    sheets = [w for w in window.findChildren(object) if type(w).__name__ == "ShortcutSheet"]
    assert sheets and sheets[0].isVisible()
    table = sheets[0].table
    rows = {(table.item(r, 1).text(), table.item(r, 2).text()) for r in range(table.rowCount())}
    assert ("Shift+2", "Bengalese finch absent (a negative)") in rows
    assert ("Space", "play / pause the selected clip (or from the view's left edge)") in rows
    sheets[0].close()


def test_preferences_and_window_state_persist(qtbot, prefs, fake_output, demo_project, tmp_path):
    window = make_window(qtbot, prefs, fake_output)
    other = tmp_path / "other.sonotag"
    assert window.new_project(other)
    window.open_project(demo_project)
    window._fill_recent_menu()
    recent = [a.text() for a in window.recent_menu.actions()]
    assert recent == [str(demo_project.resolve()), str(other.resolve())]
    window.snap_action.trigger()
    window.close()
    again = Preferences.at(tmp_path / "prefs.ini")
    assert again.snap_to_grid and again.last_project == demo_project.resolve()
    geometry, state = again.window_state()
    assert geometry is not None and state is not None
    window = make_window(qtbot, again, fake_output)
    assert window.snap_action.isChecked() and window.labelling.selection.snap
    window.close()


def test_startup_picks_last_project_or_demo_or_a_scratch_project(tmp_path, demo_project) -> None:
    data = tmp_path / "data"
    assert startup_project(None, [], None, data) == (data / "demo" / "demo.sonotag", False)
    assert startup_project(None, [], demo_project, data) == (demo_project, False)
    assert startup_project(demo_project, [], None, data) == (demo_project, False)
    scratch, create = startup_project(None, [Path("a.wav")], demo_project, data)
    assert create and scratch.parent == data / "scratch"
    assert scratch.name.startswith("untitled-") and scratch.suffix == ".sonotag"


def test_open_audio_without_a_project_makes_a_scratch_project(qtbot, prefs, real_data, tmp_path):
    window = build_window(None, [real_data / PETREL], prefs=prefs, data_dir=tmp_path / "data")
    qtbot.addWidget(window)
    assert window.project.path.parent == (tmp_path / "data" / "scratch").resolve()
    assert window.jobs.wait_all(30_000)
    qtbot.waitUntil(lambda: window.recording is not None, timeout=10_000)
    assert window.recording.path.name == "XC663885.wav"
    window.close()


def test_unreadable_last_project_falls_back_to_the_demo(qtbot, prefs, errors, tmp_path) -> None:
    broken = tmp_path / "last.sonotag"
    broken.write_bytes(b"\x00" * 4096)
    prefs.last_project = broken
    window = build_window(None, [], prefs=prefs, data_dir=tmp_path / "data")
    qtbot.addWidget(window)
    assert errors and str(broken) in errors[0][1]
    assert window.project.path.name == "demo.sonotag"
    window.close()


def _close(a: QColor, b: QColor, tolerance: int) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


def _window_point(window, t: float, f: float) -> QPoint:
    view = window.spectrogram
    scene = view.view_box.mapViewToScene(QPointF(t, f))
    return view.graphics.viewport().mapTo(window, view.graphics.mapFromScene(scene))


def test_picture_of_the_main_window_with_labels(qtbot, prefs, fake_output, real_data, tmp_path,
                                                output_dir) -> None:  # fmt: skip
    """Writes tests/output/main_window.png: a real storm-petrel recording with labels drawn."""
    window = make_window(qtbot, prefs, fake_output)
    assert window.new_project(tmp_path / "petrels.sonotag")
    petrel = window.panel.add_class("Storm petrel", "#2ca02c")
    window.panel.add_class("Great tit", "#4e79a7")
    window.panel.add_class("Wind", "#e15759")
    wait_job(qtbot, window.add_recordings([real_data / PETREL, real_data / GREAT_TIT]))
    qtbot.waitUntil(lambda: window.recording is not None, timeout=10_000)
    assert window.recording.path.name == "XC663885.wav"
    window.snap_action.trigger()

    def key(k, mod=Qt.KeyboardModifier.NoModifier):
        qtbot.keyClick(window.spectrogram, k, mod)

    click_at(qtbot, window, 1.0)  # 0-2 s: song
    key(Qt.Key.Key_1)
    key(Qt.Key.Key_Right)  # 1-3 s
    key(Qt.Key.Key_Right)  # 2-4 s
    key(Qt.Key.Key_R)
    key(Qt.Key.Key_2, Qt.KeyboardModifier.ShiftModifier)  # and certainly no great tit
    click_at(qtbot, window, 6.0)  # 5-7 s
    key(Qt.Key.Key_1)
    key(Qt.Key.Key_3)
    click_at(qtbot, window, 10.0)  # 9-11 s
    key(Qt.Key.Key_1)
    key(Qt.Key.Key_Question, Qt.KeyboardModifier.ShiftModifier)
    click_at(qtbot, window, 12.6)  # 12-14 s, left selected
    stored = stored_labels(window.project.path, window.recording.id)
    assert (0.0, 2.0, "Storm petrel", "present") in stored
    assert (2.0, 4.0, "Great tit", "absent") in stored
    assert (9.0, 11.0, "Storm petrel", "uncertain") in stored
    assert len(stored) == 6  # the uncertain key replaced 9-11 s "present"
    assert window.spectrogram.wait_until_rendered(15_000)
    window.spectrogram.cursor_moved.emit(6.2, 4200.0, -48.5)
    assert window.cursor_label.text() == "6.200 s   4.20 kHz   -48.5 dB"

    image = window.grab().toImage()
    image.save(str(output_dir / "main_window.png"))
    top = window.spectrogram.freq_range()[1]
    # The name tag of the first clip is painted in the class colour; the absent great tit's
    # tag (second row at 2-4 s) is dark with a coloured edge.
    row = window.overlay.tag_row_height()
    tag = image.pixelColor(_window_point(window, 1.9, top) + QPoint(0, row // 2))
    assert _close(tag, QColor(petrel.colour), 40)
    absent = image.pixelColor(_window_point(window, 3.9, top) + QPoint(0, row + row // 2))
    assert max(absent.red(), absent.green(), absent.blue()) < 90
    outside = image.pixelColor(_window_point(window, 8.0, top) + QPoint(0, row // 2))
    assert not _close(outside, QColor(petrel.colour), 40)
    window.close()


def _slow_job(reporter, steps: int) -> int:
    import time

    for step in range(steps):
        reporter.update(step, steps, f"file {step}")
        time.sleep(0.01)
    return steps


def test_progress_dialog_shows_the_job_and_cancel_stops_it(qtbot, window) -> None:
    from app.dialogs import JobProgressDialog

    job = window.jobs.run_thread("Adding recordings", _slow_job, 2000)
    dialog = JobProgressDialog(job, window)
    with qtbot.waitSignal(job.progress, timeout=5000):
        pass
    qtbot.waitUntil(lambda: "file " in dialog.labelText() and dialog.maximum() == 1000)
    assert dialog.labelText().startswith("Adding recordings")
    from PySide6.QtWidgets import QPushButton

    button = dialog.findChild(QPushButton)
    assert button.text() == "Cancel"
    with qtbot.waitSignals([job.cancelled, job.ended], timeout=5000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert job.last_progress.done < 2000
    # The dialog deletes itself on close; either way it must be gone from the screen.
    import shiboken6

    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible())


def test_opening_a_project_reads_no_recording_list(
    qtbot, prefs, fake_output, demo_project, monkeypatch
) -> None:
    """A season's project (100,000 recordings) must paint in seconds: nothing on the way to
    the first paint builds a ``Recording`` for every recording (``Project.recordings``; the
    Explorer did, 4 s at 100,000), imports SciPy for an empty map (1.5 s cold) or reads every
    time zone of the zone database (the Activity panel's list, 600 of them)."""
    import sys
    import zoneinfo

    from model.project import Project
    from tests.app.conftest import make_window

    calls: list[int] = []
    every = Project.recordings
    monkeypatch.setattr(Project, "recordings", lambda self: calls.append(1) or every(self))
    zones: list[str] = []
    real_zone = zoneinfo.ZoneInfo
    monkeypatch.setattr(zoneinfo, "ZoneInfo", lambda key: zones.append(key) or real_zone(key))
    for name in [m for m in sys.modules if m == "scipy.spatial" or m.startswith("scipy.spatial.")]:
        monkeypatch.delitem(sys.modules, name)
    window = make_window(qtbot, prefs, fake_output)
    assert window.open_project(demo_project)
    qtbot.wait(50)
    assert calls == []
    assert "scipy.spatial" not in sys.modules
    assert len(zones) < 10  # not the whole zone database for the Activity panel's list
