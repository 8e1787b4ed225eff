"""File ▸ New project: the preset choice, its preview, and the project it makes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from app import dialogs
from app.jobs import JobRunner
from app.new_project_dialog import AXIS, SCALE, NewProjectDialog, axis_ticks
from model.clips.presets import PRESETS
from model.project import Project
from model.project.clip_choice import stored_clip_settings


@pytest.fixture
def dialog(qtbot):
    jobs = JobRunner()
    box = NewProjectDialog(jobs)
    qtbot.addWidget(box)
    box.show()
    yield box
    box.reject()
    assert jobs.wait_all(10_000)


def _ready(qtbot, box: NewProjectDialog) -> None:
    qtbot.waitUntil(lambda: box.preview_ready, timeout=20_000)


def test_songbirds_first_then_bats_with_their_band_and_picture(qtbot, dialog, output_dir) -> None:
    assert dialog.preset() == "songbirds" and dialog.settings() == PRESETS["songbirds"].settings
    assert dialog.choices.count() == len(PRESETS) + 1  # and custom
    _ready(qtbot, dialog)
    dialog.select("bats")
    assert "15–120 kHz" in dialog.hears.text() and "250 kHz" in dialog.hears.text()
    _ready(qtbot, dialog)
    assert "80→30 kHz" in dialog.caption.text()
    picture = dialog.picture.pixmap().toImage()
    assert picture.width() == 224 * SCALE + AXIS
    dialog.grab().save(str(output_dir / "new_project_bats.png"))


def test_custom_band_and_a_band_that_cannot_be(qtbot, dialog) -> None:
    dialog.select("custom")
    assert dialog.custom_box.isVisible()
    dialog.low_khz.setValue(1.0)
    dialog.high_khz.setValue(30.0)
    settings = dialog.settings()
    assert settings is not None and (settings.fmin, settings.fmax) == (1000, 30000)
    _ready(qtbot, dialog)
    dialog.low_khz.setValue(40.0)
    assert dialog.settings() is None
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    assert "must be below" in dialog.hears.text()


def test_axis_ticks_run_from_the_top_of_the_band_down() -> None:
    ticks = axis_ticks(PRESETS["bats"].settings)
    rows = [row for _hz, row in ticks]
    assert rows == sorted(rows, reverse=True) and 0.0 <= min(rows) and max(rows) <= 1.0
    assert all(15_000 <= hz <= 120_000 for hz, _ in ticks)
    assert np.isclose(ticks[0][0], 15_000) and ticks[0][1] == pytest.approx(1.0)


def test_file_new_project_stores_the_chosen_preset(
    qtbot, window, tmp_path: Path, monkeypatch
) -> None:
    chosen = tmp_path / "bats.sonotag"

    def choose_bats(box: NewProjectDialog) -> int:
        box.select("bats")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(NewProjectDialog, "exec", choose_bats)
    monkeypatch.setattr(dialogs, "ask_project_path", lambda parent, new: chosen)
    window.ask_new_project()
    assert window.project is not None and window.project.path == chosen
    assert stored_clip_settings(window.project) == PRESETS["bats"].settings


def test_cancelling_the_preset_creates_nothing(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    asked: list[bool] = []
    monkeypatch.setattr(NewProjectDialog, "exec", lambda box: QDialog.DialogCode.Rejected)
    monkeypatch.setattr(dialogs, "ask_project_path", lambda parent, new: asked.append(new))
    before = window.project.path
    window.ask_new_project()
    assert not asked and window.project.path == before


def test_new_project_without_settings_keeps_the_default(qtbot, window, tmp_path: Path) -> None:
    assert window.new_project(tmp_path / "plain.sonotag")
    assert stored_clip_settings(window.project) == PRESETS["songbirds"].settings
    with Project.open(tmp_path / "plain.sonotag", read_only=True) as project:
        assert project.get_meta("clip_settings") is None  # nothing written: the default holds


def test_a_recording_of_ones_own_is_previewed_under_each_preset(
    qtbot, dialog, tmp_path: Path, output_dir: Path
) -> None:
    """A 384 kHz bat pass: black under the songbird preset, its calls under the bat one."""
    from tests.model.cli.test_preset_command import bat_night

    wav = tmp_path / "pass.wav"
    bat_night(wav, seconds=3.0)
    _ready(qtbot, dialog)
    dialog.preview_recording(wav)
    _ready(qtbot, dialog)
    assert "Your recording: pass.wav" in dialog.caption.text()
    assert dialog.demo_button.isVisible()
    songbird = dialog.picture.pixmap().toImage()
    dialog.select("bats")
    _ready(qtbot, dialog)
    bats = dialog.picture.pixmap().toImage()
    dialog.grab().save(str(output_dir / "new_project_own_recording.png"))
    assert _brightness(bats) > _brightness(songbird) + 5
    dialog.preview_recording(None)
    _ready(qtbot, dialog)
    assert dialog.caption.text().startswith("Demo:") and not dialog.demo_button.isVisible()


def test_an_unreadable_recording_says_why(qtbot, dialog, tmp_path: Path) -> None:
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00garbage")
    dialog.preview_recording(bad)
    qtbot.waitUntil(lambda: "could not be drawn" in dialog.picture.text(), timeout=20_000)
    assert "broken.wav" in dialog.picture.text()


def _brightness(image) -> float:
    from PySide6.QtGui import QImage

    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(rgb.constBits(), np.uint8, rgb.sizeInBytes())
    return float(data.mean())
