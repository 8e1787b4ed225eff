"""The Go keys: next unlabelled clip, next call of the current class, next recording."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from model.review import labelled_mask
from tests.app.ml.conftest import add_model_record


def key(qtbot, window, k, mod=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window.spectrogram, k, mod)


def test_n_goes_to_clips_without_labels_and_shift_n_back(qtbot, window) -> None:
    labels = window.labelling.overlay.labels()
    assert labels
    seen = []
    for _ in range(5):
        key(qtbot, window, Qt.Key.Key_N)
        clip = window.labelling.selection.clip
        seen.append(clip.start)
        assert not labelled_mask(np.array([clip.start]), clip.end - clip.start, labels)[0]
    assert seen == sorted(seen) and len(set(seen)) == 5
    key(qtbot, window, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    assert window.labelling.selection.clip.start == seen[-2]
    t0, t1 = window.spectrogram.view_range()
    assert t0 <= seen[-2] < t1  # on screen


def test_h_goes_to_the_best_window_of_each_call_of_the_current_class(qtbot, window) -> None:
    project, recording = window.project, window.recording
    classes = project.classes()
    model = add_model_record(project)
    starts = np.arange(0.0, recording.duration - 2.0 + 1e-9, 1.0)
    scores = np.full((len(starts), len(classes)), 0.05, np.float32)
    scores[[20, 21, 22], 1] = [0.6, 0.95, 0.7]  # one call of the second class, best at 21 s
    scores[40, 1] = 0.8
    scores[30, 0] = 0.99  # another class: not what H looks for
    project.put_predictions(model.id, recording.id, starts, [c.id for c in classes], scores)
    window.context.models_changed.emit()
    window.labelling.set_active_class(classes[1].id)
    messages = []
    window.labelling.message.connect(messages.append)
    key(qtbot, window, Qt.Key.Key_H)
    assert window.labelling.selection.clip.start == 21.0
    assert "0.95" in messages[-1] and classes[1].name in messages[-1]
    key(qtbot, window, Qt.Key.Key_H)
    assert window.labelling.selection.clip.start == 40.0
    key(qtbot, window, Qt.Key.Key_H)
    assert window.labelling.selection.clip.start == 40.0 and "No " in messages[-1]
    key(qtbot, window, Qt.Key.Key_H, Qt.KeyboardModifier.ShiftModifier)
    assert window.labelling.selection.clip.start == 21.0


def test_ctrl_arrows_walk_the_list_in_its_order(qtbot, window) -> None:
    panel = window.panel
    rows = [
        panel.recordings_proxy.index(r, 0).data() for r in range(panel.recordings_proxy.rowCount())
    ]
    here = rows.index(window.recording.path.name)
    key(qtbot, window, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert window.recording.path.name == rows[here + 1]
    assert panel.current_recording_id() == window.recording.id  # the list follows
    for _ in range(len(rows)):
        key(qtbot, window, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert window.recording.path.name == rows[-1]  # stops at the last one
    key(qtbot, window, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert window.recording.path.name == rows[-2]


@pytest.mark.parametrize("keys", ["N", "Shift+N", "H", "Shift+H", "Ctrl+→", "Ctrl+←"])
def test_the_go_keys_are_on_the_shortcut_sheet(window, keys) -> None:
    assert any(area == "Go" and k == keys for area, k, _ in window.shortcut_rows())
