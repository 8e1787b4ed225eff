"""The clip close-up follows the selection and shows the model's score for each class."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from model.project import LabelState, SetLabel
from tests.app.conftest import click_at
from tests.app.ml.conftest import add_model_record


def _show_closeup(qtbot, window):
    dock = window.panels.closeup_dock
    dock.toggleViewAction().trigger()
    qtbot.waitUntil(dock.isVisible)
    return window.panels.closeup


def test_closeup_follows_the_selection_at_finer_resolution(qtbot, window, output_dir) -> None:
    closeup = _show_closeup(qtbot, window)
    assert closeup.closeup is None and "Select a clip" in closeup.header.text()
    with qtbot.waitSignal(closeup.shown, timeout=10_000):
        click_at(qtbot, window, 5.0)
    clip = window.labelling.selection.clip
    shown = closeup.closeup
    assert shown is not None and shown.clip == (clip.start, clip.end)
    assert shown.t0 < clip.start and shown.t1 > clip.end  # context either side
    info = window.spectrogram.info()
    columns_per_second = shown.codes.shape[1] / (shown.t1 - shown.t0)
    view_columns_per_second = info.sample_rate / window.spectrogram.display().hop
    assert columns_per_second >= 3.5 * view_columns_per_second  # finer than the view's best
    assert info.path.name in closeup.header.text()
    assert closeup.plot.getViewBox().viewRange()[1] == list(window.spectrogram.freq_range())
    window.grab().save(str(output_dir / "clip_closeup.png"))
    with qtbot.waitSignal(closeup.shown, timeout=10_000):
        qtbot.keyClick(window.spectrogram, Qt.Key.Key_Right)
    assert closeup.closeup.clip[0] > clip.start  # the next clip, without another click


def test_closeup_lists_scores_highest_first_with_threshold_and_labels(qtbot, window) -> None:
    project = window.project
    classes = project.classes()
    recording = window.recording
    model = add_model_record(project)
    starts = np.arange(0.0, recording.duration - 2.0 + 1e-9, 1.0)
    scores = np.full((len(starts), len(classes)), 0.1, np.float32)
    scores[4, 1] = 0.8  # the window 4-6 s: the second class scores high
    scores[4, 0] = 0.3
    project.put_predictions(model.id, recording.id, starts, [c.id for c in classes], scores)
    window.context.models_changed.emit()
    closeup = _show_closeup(qtbot, window)
    click_at(qtbot, window, 5.0)
    clip = window.labelling.selection.clip
    window.undo.push(SetLabel(recording.id, clip.start, clip.end, classes[0].id, "absent"))
    rows, note = closeup.score_rows()
    assert "4.00–6.00 s" in note
    assert [r.name for r in rows[:2]] == [classes[1].name, classes[0].name]
    assert rows[0].score == np.float32(0.8) and rows[0].threshold == 0.5
    assert rows[1].label is LabelState.ABSENT and rows[0].label is None
    assert closeup.scores.height() >= closeup.scores.ROW_PX * len(rows)
    assert "4.00–6.00 s" in closeup.note.text()


def test_another_project_does_not_keep_the_last_clips_frame(qtbot, window, tmp_path) -> None:
    closeup = _show_closeup(qtbot, window)
    with qtbot.waitSignal(closeup.shown, timeout=10_000):
        click_at(qtbot, window, 5.0)
    assert closeup.plot.isVisible()
    assert window.new_project(tmp_path / "bats.sonotag")
    qtbot.waitUntil(lambda: closeup.closeup is None)
    assert not closeup.plot.isVisible() and "Select a clip" in closeup.header.text()
