"""Time-frequency boxes in the window: Shift+drag draws, a class key labels, drags move and
resize the selected box, keys relabel and delete, every edit is one undo step on disk."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from app.labelling.box_drag import Limits, Mode, dragged, grab
from app.labelling.boxes import BoxRect
from model.project import AddBox, Project
from tests.app.conftest import click_at
from tests.app.spectrogram.gestures import drag

SHIFT = Qt.KeyboardModifier.ShiftModifier


def _point(window, t: float, f: float) -> QPoint:
    view = window.spectrogram
    scene = view.view_box.mapViewToScene(QPointF(t, f))
    return view.graphics.mapFromScene(scene)


def _drag(
    window, a: tuple[float, float], b: tuple[float, float], mods=Qt.KeyboardModifier.NoModifier
):
    drag(window.spectrogram.graphics, _point(window, *a), _point(window, *b), mods=mods)


def _px(window) -> tuple[float, float]:
    sx, sy = window.spectrogram.view_box.viewPixelSize()
    return abs(sx), abs(sy)


def _on_disk(window) -> list[tuple]:
    with Project.open(window.project.path, read_only=True) as project:
        names = {c.id: c.name for c in project.classes()}
        return [
            (b.start, b.end, b.low_hz, b.high_hz, names[b.class_id], b.state.value)
            for b in project.boxes(recording_id=window.recording.id)
        ]


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window.spectrogram, key, modifier)


@pytest.fixture
def shown(window):
    """The demo's first recording (60 s great tit, 22.05 kHz) on screen, 4-14 s, 0-11 kHz."""
    window.spectrogram.set_view_range(4.0, 14.0)
    window.spectrogram.set_freq_range(0.0, 11025.0)
    return window


def test_shift_drag_draws_a_box_that_a_class_key_labels_and_undo_removes(qtbot, shown) -> None:
    window = shown
    before = window.spectrogram.view_range()
    _drag(window, (5.0, 3000.0), (6.5, 6000.0), SHIFT)
    assert window.spectrogram.view_range() == before  # drawing did not pan
    pending = window.boxes.pending
    px_s, px_hz = _px(window)
    assert pending is not None and _on_disk(window) == []  # nothing stored before the key
    assert pending.start == pytest.approx(5.0, abs=2 * px_s)
    assert pending.end == pytest.approx(6.5, abs=2 * px_s)
    assert pending.low_hz == pytest.approx(3000.0, abs=2 * px_hz)
    assert pending.high_hz == pytest.approx(6000.0, abs=2 * px_hz)
    clip = window.labelling.selection.clip
    assert clip is not None and clip.start == pytest.approx(pending.start, abs=1e-3)

    press(qtbot, window, Qt.Key.Key_1)
    stored = _on_disk(window)
    assert len(stored) == 1
    assert stored[0][:4] == (pending.start, pending.end, pending.low_hz, pending.high_hz)
    assert stored[0][4:] == ("Great tit", "present")
    assert window.boxes.pending is None and window.boxes.selected_id is not None
    assert [b.id for b in window.box_overlay.boxes()] == [window.boxes.selected_id]
    assert window.labelling.labels_on_selection() == []  # no clip label was made
    assert "Great tit present" in window.undo_action.text()

    window.undo_edit()
    assert _on_disk(window) == [] and window.box_overlay.boxes() == []
    assert window.boxes.selected_id is None
    window.redo_edit()
    assert _on_disk(window) == stored


def test_a_plain_drag_still_pans_and_draws_nothing(qtbot, shown) -> None:
    window = shown
    t0, _ = window.spectrogram.view_range()
    _drag(window, (8.0, 3000.0), (6.0, 3000.0))
    assert window.spectrogram.view_range()[0] > t0 + 1.0
    assert window.boxes.pending is None and _on_disk(window) == []


def test_esc_drops_a_drawn_box_and_a_tiny_drag_draws_none(qtbot, shown) -> None:
    window = shown
    _drag(window, (5.0, 3000.0), (6.0, 5000.0), SHIFT)
    assert window.boxes.pending is not None
    press(qtbot, window, Qt.Key.Key_Escape)
    assert window.boxes.pending is None and window.box_overlay.draft() is None
    px_s, px_hz = _px(window)
    _drag(window, (5.0, 3000.0), (5.0 + px_s, 3000.0 + px_hz), SHIFT)
    assert window.boxes.pending is None and _on_disk(window) == []


def _stored_box(window, start=6.0, end=7.0, low=2000.0, high=4000.0) -> int:
    command = AddBox(window.recording.id, start, end, low, high, 1)
    window.undo.push(command)
    return command.result.id


def test_click_selects_drag_moves_edge_resizes_each_one_undo_step(qtbot, shown) -> None:
    window = shown
    box_id = _stored_box(window)
    click_at(qtbot, window, 6.5, 3000.0)
    assert window.boxes.selected_id == box_id
    assert window.labelling.selection.clip.start == pytest.approx(6.0)  # Space plays the box
    assert window.overlay._selection is None  # no full-height clip outline over it

    _drag(window, (6.5, 3000.0), (8.5, 4000.0))  # inside: a move, size kept
    px_s, px_hz = _px(window)
    start, end, low, high = _on_disk(window)[0][:4]
    assert start == pytest.approx(8.0, abs=2 * px_s) and end - start == pytest.approx(1.0, abs=1e-3)
    assert low == pytest.approx(3000.0, abs=2 * px_hz) and high - low == pytest.approx(
        2000.0, abs=0.2
    )
    moved = _on_disk(window)

    _drag(window, (end, (low + high) / 2), (end + 1.5, (low + high) / 2))  # right edge
    resized = _on_disk(window)
    assert resized[0][0] == moved[0][0] and resized[0][1] == pytest.approx(end + 1.5, abs=2 * px_s)
    assert resized[0][2:4] == moved[0][2:4]

    _drag(window, (start, high), (start - 1.0, high + 1000.0))  # top-left corner
    cornered = _on_disk(window)[0]
    assert cornered[0] == pytest.approx(start - 1.0, abs=2 * px_s)
    assert cornered[3] == pytest.approx(high + 1000.0, abs=2 * px_hz)
    assert (cornered[1], cornered[2]) == (resized[0][1], resized[0][2])

    window.undo_edit()
    assert _on_disk(window) == resized
    window.undo_edit()
    assert _on_disk(window) == moved
    window.undo_edit()
    assert _on_disk(window)[0][:4] == (6.0, 7.0, 2000.0, 4000.0)
    assert window.labelling.selection.clip.start == pytest.approx(6.0)  # selection followed


def test_drag_off_the_selected_box_pans_instead_of_moving_it(qtbot, shown) -> None:
    window = shown
    _stored_box(window)
    click_at(qtbot, window, 6.5, 3000.0)
    t0, _ = window.spectrogram.view_range()
    _drag(window, (11.0, 8000.0), (9.0, 8000.0))
    assert window.spectrogram.view_range()[0] > t0 + 1.0
    assert _on_disk(window)[0][:4] == (6.0, 7.0, 2000.0, 4000.0)


def test_keys_relabel_and_delete_the_selected_box(qtbot, shown) -> None:
    window = shown
    _stored_box(window)
    click_at(qtbot, window, 6.5, 3000.0)
    press(qtbot, window, Qt.Key.Key_2, SHIFT)
    assert _on_disk(window)[0][4:] == ("Bengalese finch", "absent")
    press(qtbot, window, Qt.Key.Key_Question, SHIFT)  # the class just used: uncertain
    assert _on_disk(window)[0][4:] == ("Bengalese finch", "uncertain")
    press(qtbot, window, Qt.Key.Key_Delete)
    assert _on_disk(window) == []
    window.undo_edit()
    assert _on_disk(window)[0][4:] == ("Bengalese finch", "uncertain")


def test_clicking_elsewhere_selects_a_clip_and_keys_label_it_again(qtbot, shown) -> None:
    window = shown
    _stored_box(window)
    click_at(qtbot, window, 6.5, 3000.0)
    click_at(qtbot, window, 11.0, 3000.0)  # outside the box
    assert window.boxes.selected_id is None and window.overlay._selection is not None
    press(qtbot, window, Qt.Key.Key_3)
    assert _on_disk(window)[0][4:] == ("Great tit", "present")  # the box was left alone
    assert any(la.class_id == 3 for la in window.labelling.labels_on_selection())


def test_space_plays_the_box_band_passed_to_its_band(qtbot, shown) -> None:
    window = shown
    _stored_box(window)
    click_at(qtbot, window, 6.5, 3000.0)
    window.listening.band.setChecked(True)
    window.listening.play_pause()
    assert window.playback.band == (2000.0, 4000.0)
    span = window.playback.current_span
    assert span is not None and span[1:] == pytest.approx((6.0, 7.0))


def test_boxes_are_in_the_shortcut_sheet(qtbot, shown) -> None:
    rows = shown.shortcut_rows()
    assert ("Box", "Shift+drag", "draw a time–frequency box; then a class key labels it") in rows
    sheet = shown.show_shortcuts()
    qtbot.addWidget(sheet)


# -- the drag arithmetic, without a window -----------------------------------------------------
LIMITS = Limits(duration=60.0, nyquist=11025.0, px_s=0.01, px_hz=10.0)


def test_grab_tells_edges_corners_and_inside_apart() -> None:
    rect = BoxRect(5.0, 7.0, 2000.0, 4000.0)
    assert grab(rect, 5.02, 3000.0, LIMITS) == (Mode.RESIZE, frozenset({"start"}))
    assert grab(rect, 6.98, 3990.0, LIMITS) == (Mode.RESIZE, frozenset({"end", "high"}))
    assert grab(rect, 6.0, 3000.0, LIMITS) == (Mode.MOVE, frozenset())
    assert grab(rect, 8.0, 3000.0, LIMITS) is None


def test_moves_stay_inside_the_recording_and_resizes_flip_instead_of_inverting() -> None:
    rect = BoxRect(5.0, 7.0, 2000.0, 4000.0)
    moved = dragged(Mode.MOVE, rect, frozenset(), (6.0, 3000.0), (0.0, 20000.0), LIMITS)
    assert moved == BoxRect(0.0, 2.0, 9025.0, 11025.0)
    flipped = dragged(Mode.RESIZE, rect, frozenset({"end"}), (7.0, 3000.0), (4.0, 3000.0), LIMITS)
    assert flipped == BoxRect(4.0, 5.0, 2000.0, 4000.0)


def test_a_failure_while_drawing_boxes_is_logged_not_fatal(
    qtbot, shown, monkeypatch, caplog
) -> None:
    """An exception leaving a pyqtgraph item's paint() takes the whole process down (PySide):
    the box layer logs it once and draws nothing instead."""
    window = shown
    _stored_box(window)

    def broken(*args):
        raise TypeError("not comparable")

    monkeypatch.setattr(window.box_overlay, "_on_screen", broken)
    for _ in range(2):
        window.spectrogram.graphics.viewport().repaint()
    assert [r.message for r in caplog.records] == ["drawing the time-frequency boxes failed"]
