"""Which recording is on screen, what an empty project says, where the keys are (F1)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton

from app import dialogs
from app.screen_state import NO_PROJECT, NO_RECORDING, NO_RECORDINGS
from model.project import Project
from tests.app.conftest import make_window

PETREL = "pykanto-raw/STORM-PETREL/XC46092.wav"


def test_an_empty_project_says_how_to_add_recordings(
    qtbot, prefs, fake_output, tmp_path: Path, real_data: Path, monkeypatch, output_dir
) -> None:
    window = make_window(qtbot, prefs, fake_output)
    assert window.screen.empty.hint is NO_PROJECT and window.windowTitle() == "Sonotag"
    assert window.new_project(tmp_path / "site-A.sonotag")
    screen = window.screen
    assert screen.stack.currentWidget() is screen.empty and screen.empty.hint is NO_RECORDINGS
    buttons = {k: b for k, b in screen.empty.buttons.items() if not b.isHidden()}
    assert set(buttons) == {"add_files", "add_folder"}
    assert window.windowTitle() == "site-A — Sonotag"
    detail = screen.empty.detail
    assert detail.height() >= 2 * detail.fontMetrics().height()  # wrapped, not cut to a line
    window.grab().save(str(output_dir / "empty_project.png"))
    monkeypatch.setattr(dialogs, "ask_audio_files", lambda parent, start: [real_data / PETREL])
    qtbot.mouseClick(buttons["add_files"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.recording is not None, timeout=20_000)
    assert screen.stack.currentWidget() is window.spectrogram
    assert window.windowTitle() == "XC46092.wav — site-A — Sonotag"
    caption = window.spectrogram.caption()
    assert "XC46092.wav" in caption and "14.0 s" in caption and "44.1 kHz" in caption
    window.close()


def test_a_recording_that_cannot_be_opened_leaves_a_readable_axis_and_says_why(
    qtbot, prefs, fake_output, tmp_path: Path, real_data: Path, errors
) -> None:
    import shutil

    copy = tmp_path / "gone.wav"
    shutil.copy(real_data / PETREL, copy)
    with Project.create(tmp_path / "p.sonotag") as project:
        rec = project.add_recording(copy)
    copy.unlink()  # the card was taken out
    window = make_window(qtbot, prefs, fake_output)
    assert window.open_project(tmp_path / "p.sonotag")
    assert errors and "gone.wav" in errors[-1][1]
    assert window.recording is None
    screen = window.screen
    assert screen.empty.hint is NO_RECORDING and "gone.wav" in screen.empty.problem.text()
    f0, f1 = window.spectrogram.freq_range()
    assert f0 == 0 and f1 >= 10_000  # not pyqtgraph's 0-1 Hz, read as "0-0.001 kHz"
    t0, t1 = window.spectrogram.view_range()
    assert t1 - t0 >= 10
    assert window.spectrogram.caption() == ""
    assert rec.id == window.panel.recordings.recording_id(0)
    window.close()


def test_the_list_follows_the_shown_recording_and_a_reopened_project_shows_it_again(
    qtbot, prefs, fake_output, busy_project: Path
) -> None:
    window = make_window(qtbot, prefs, fake_output)
    assert window.open_project(busy_project)
    panel = window.panel
    names = [panel.recordings_proxy.index(r, 0).data() for r in range(3)]
    assert names == sorted(names, key=str.lower)  # A→Z from the start
    assert window.recording.path.name == names[0]  # the first row is what is shown
    petrel = next(r for r in window.project.recordings() if r.path.name == "XC46092.wav")
    window.show_recording(petrel.id)  # as review or the recording keys do, not by a click
    assert panel.current_recording_id() == petrel.id  # the row follows
    window.close()
    again = make_window(qtbot, prefs, fake_output)
    assert again.open_project(busy_project)
    assert again.recording.id == petrel.id and again.panel.current_recording_id() == petrel.id
    selected = again.panel.recordings_table.selectionModel().selectedRows()
    assert len(selected) == 1 and selected[0].data() == "XC46092.wav"
    again.close()


def test_the_overview_box_shows_on_a_white_colour_map(qtbot, window) -> None:
    region = window.spectrogram.overview.region
    window.spectrogram.set_display(colormap="grey_r")
    assert region.brush.color().lightness() < 60  # dark box on white
    window.spectrogram.set_display(colormap="magma")
    assert region.brush.color().lightness() > 200  # light box on black


def test_the_status_bar_points_to_the_shortcut_sheet(qtbot, window) -> None:
    button = window.statusBar().findChild(QToolButton, "shortcuts-hint")
    assert button is not None and button.isVisible() and "F1" in button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    sheets = [w for w in window.findChildren(object) if type(w).__name__ == "ShortcutSheet"]
    assert sheets and sheets[-1].isVisible()
    sheets[-1].close()
