"""The gallery with a key per cell, in the main window (whose label keys and Space are window
actions): arrows move over the cells, Space plays the focused clip, the label keys label it in
one undo step each; and the hovered clip's picture beside the pointer."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QCursor

from app.context import AppContext
from app.explorer.hover_popup import OFFSET
from model.explore.table import ABSENT, CODE, PRESENT, UNCERTAIN
from model.project import Project
from model.project.records import to_ms
from tests.app.explorer.conftest import Calls, open_panel, rectangle, write_map


def open_window(qtbot, prefs, fake_output, project: Project):
    from tests.app.conftest import make_window

    write_map(project)
    path = project.path
    project.close()
    window = make_window(qtbot, prefs, fake_output)
    window.open_project(path)
    explorer = window.panels.explorer
    explorer.toggleViewAction().trigger()
    qtbot.waitUntil(lambda: explorer.map is not None, timeout=10_000)
    return window, explorer


def codes_of(window, explorer, rows: list[int], class_id: int) -> np.ndarray:
    """State codes of the labels on exactly these clips' spans (0: none)."""
    spans = [
        (int(explorer.map.recording_ids[r]), to_ms(explorer.map.starts[r]),
         to_ms(explorer.map.starts[r] + explorer.map.clip_seconds))
        for r in rows
    ]  # fmt: skip
    states = window.project.label_states(class_id, spans)
    return np.array([CODE[states[s]] if s in states else 0 for s in spans])


def test_keys_label_play_and_move_over_the_focused_cell(
    qtbot, prefs, fake_output, project: Project
) -> None:
    window, explorer = open_window(qtbot, prefs, fake_output, project)
    assert ("Explorer grid", "Space", "play the focused clip") in window.shortcut_rows()
    petrel = next(c for c in window.project.classes() if c.name == "storm-petrel")
    assert petrel.shortcut == "1"
    explorer.view.box.dragged.emit(rectangle(-4, 4), False)  # the first recording's clips
    gallery = explorer.gallery
    rows = gallery.rows()
    assert len(rows) >= 4
    main_clip = window.labelling.selection.clip
    gallery.setFocus()
    gallery.setCurrentRow(0)
    qtbot.waitUntil(gallery.hasFocus)
    undo = window.context.undo_stack
    steps = len(undo._undo)

    qtbot.keyClick(gallery, Qt.Key.Key_Right)  # the grid's arrow, not the main view's
    assert gallery.currentRow() == 1
    assert window.labelling.selection.clip == main_clip
    qtbot.keyClick(gallery, Qt.Key.Key_Left)
    qtbot.keyClick(gallery, Qt.Key.Key_1)  # present, then on to the next cell
    qtbot.keyClick(gallery, Qt.Key.Key_1, Qt.KeyboardModifier.ShiftModifier)  # absent
    qtbot.keyClick(gallery, Qt.Key.Key_Question, Qt.KeyboardModifier.ShiftModifier)
    assert gallery.currentRow() == 3
    codes = codes_of(window, explorer, rows[:4], petrel.id)
    assert codes.tolist() == [PRESENT, ABSENT, UNCERTAIN, 0]
    assert len(undo._undo) == steps + 3  # one undo step per key
    assert window.labelling.selection.clip == main_clip  # the main view's clip kept no label
    texts = [gallery.item(i).text() for i in range(3)]
    assert [t[0] for t in texts] == ["✓", "✗", "?"], texts  # each cell shows its state
    undo.undo()
    assert codes_of(window, explorer, rows[:4], petrel.id).tolist() == [PRESENT, ABSENT, 0, 0]
    assert gallery.item(2).text()[0] != "?"

    qtbot.keyClick(gallery, Qt.Key.Key_Space)  # plays the focused cell's clip
    qtbot.waitUntil(lambda: window.playback.current_span is not None, timeout=5_000)
    path, start, end = window.playback.current_span
    recording = explorer.recordings.get(int(explorer.map.recording_ids[rows[3]]))
    assert path == recording.path and abs(start - float(explorer.map.starts[rows[3]])) < 1e-6
    qtbot.keyClick(gallery, Qt.Key.Key_T)  # untick: the bulk label leaves it out
    assert explorer.gallery.unticked() == {rows[3]}
    qtbot.keyClick(gallery, Qt.Key.Key_Return)  # shows the clip in the main view
    assert abs(window.labelling.selection.clip.start - start) < 1e-6

    window.spectrogram.setFocus()  # elsewhere the keys label the main view's clip as before
    qtbot.waitUntil(window.spectrogram.hasFocus)
    qtbot.keyClick(window.spectrogram, Qt.Key.Key_1)
    labels = window.project.labels_in(recording.id, start, start + 2.0)
    assert any(la.class_id == petrel.id for la in labels)
    assert codes_of(window, explorer, rows[3:4], petrel.id).tolist() == [PRESENT]


def point_to(view, row: int) -> QPoint:
    """Puts the pointer on a clip's point of the map (as a user hovering it would)."""
    x, y = (float(v) for v in view.coords[row])
    on_view = view.mapFromScene(view.box.mapViewToScene(QPointF(x, y)))
    QCursor.setPos(view.mapToGlobal(on_view))
    return QCursor.pos()


def test_hovered_clip_is_shown_beside_the_pointer(
    qtbot, context: AppContext, project: Project
) -> None:
    write_map(project)
    panel, _ = open_panel(qtbot, context, Calls())
    popup = panel.popup
    panel.view.box.dragged.emit(rectangle(16, 24), False)
    row = panel.gallery.rows()[0]
    qtbot.waitUntil(lambda: row in panel.pictures, timeout=30_000)
    pointer = point_to(panel.view, row)
    panel.view.clip_hovered.emit(row)
    assert popup.isVisible() and popup.row == row
    assert not popup.picture.pixmap().isNull()
    assert "f.wav" in popup.caption.text()
    # Beside the pointer: below right of it, or flipped left / above where the screen ends.
    assert popup.x() in (pointer.x() + OFFSET, pointer.x() - OFFSET - popup.width())
    assert popup.y() in (pointer.y() + OFFSET, pointer.y() - OFFSET - popup.height())
    assert popup.screen().availableGeometry().contains(popup.geometry())
    assert not popup.isActiveWindow()  # it never takes the focus from the map
    other = next(r for r in range(len(panel.map)) if r not in panel.pictures)
    point_to(panel.view, other)
    panel.view.clip_hovered.emit(other)  # no picture yet: it says so, then shows it
    assert popup.row == other and popup.picture.pixmap().isNull()
    assert popup.picture.text() == "drawing…"
    qtbot.waitUntil(lambda: not popup.picture.pixmap().isNull(), timeout=30_000)
    panel.view.clip_hovered.emit(-1)
    assert not popup.isVisible()
    panel.view.clip_hovered.emit(row)
    assert popup.isVisible()
    panel.hide()
    assert not popup.isVisible()
