"""The key legend: every class with key, colour and counts, kept current without recounting."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from model.project import LabelState
from tests.app.conftest import click_at


def _stored(project) -> dict[tuple[int, str], int]:
    return dict(project.label_tally())


def test_the_legend_lists_every_class_with_its_key_and_counts(qtbot, busy_window, output_dir):
    window = busy_window
    legend = window.legend
    assert legend.isVisible()
    classes = window.project.classes()
    chips = [c for c in legend.chips if c.isVisible()]
    assert [c.cls.id for c in chips] == [c.id for c in classes]
    stored = _stored(window.project)
    for chip, cls in zip(chips, classes, strict=True):
        assert chip.counts[LabelState.PRESENT] == stored.get((cls.id, "present"), 0)
        assert chip.count_text().startswith(f"✓{stored.get((cls.id, 'present'), 0)} ✗")
        assert cls.name in chip.toolTip() and (cls.shortcut or "no key") in chip.toolTip()
    # compact: eleven classes wrap over a couple of rows, each chip inside the window
    assert legend.height() <= 3 * (chips[0].height() + 4)
    for chip in chips:
        assert chip.geometry().right() <= legend.width()
    window.grab().save(str(output_dir / "key_legend.png"))


def test_counts_follow_keys_and_undo_without_recounting(qtbot, busy_window) -> None:
    window = busy_window
    legend = window.legend
    recounts = legend.recounts
    cls = window.project.classes()[0]
    before = legend.counts(cls.id)
    click_at(qtbot, window, 13.0)
    clip = window.labelling.selection.clip
    qtbot.keyClick(window.spectrogram, Qt.Key.Key_1, Qt.KeyboardModifier.ShiftModifier)
    after = legend.counts(cls.id)
    labels_there = {la.class_id: la.state for la in window.labelling.labels_on_selection()}
    assert labels_there[cls.id] is LabelState.ABSENT and clip is not None
    assert sum(after.values()) >= sum(before.values())
    assert after == {s: _stored(window.project).get((cls.id, s.value), 0) for s in LabelState}
    window.undo_edit()
    assert legend.counts(cls.id) == before
    window.redo_edit()
    assert legend.counts(cls.id) == after
    from model.project.box_commands import AddBox

    boxes = legend.boxes(cls.id)
    window.undo.push(AddBox(window.recording.id, 1.0, 2.0, 2000.0, 4000.0, cls.id))
    assert legend.counts(cls.id) == after  # a box is not a clip label...
    assert legend.boxes(cls.id) == boxes + 1  # ...it has a count of its own
    chip = next(c for c in legend.chips if c.cls is not None and c.cls.id == cls.id)
    assert chip.count_text().endswith(f"▭{boxes + 1}") and "boxes: " in chip.toolTip()
    window.undo_edit()
    assert legend.boxes(cls.id) == boxes
    assert legend.recounts == recounts  # no project-wide query per key press


def test_a_click_on_a_chip_makes_it_the_current_class(qtbot, busy_window) -> None:
    window = busy_window
    chip = [c for c in window.legend.chips if c.isVisible()][3]
    qtbot.mouseClick(chip, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert window.labelling.active_class_id == chip.cls.id
    assert window.panel.current_class_id() == chip.cls.id
    assert chip.active and not any(c.active for c in window.legend.chips if c is not chip)
