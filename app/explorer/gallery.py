"""A grid of the selected clips' pictures, to check a cluster at a glance before labelling it.

Like AviaNZ's review grid, with a key per cell: the arrow keys move the focus over the cells,
Space plays the focused clip, Enter shows it in the main view, and the main window's label keys
label the focused clip (its number key: present, Shift+number: absent, ?: the Explorer's class
uncertain), one undo step per key, then the focus moves on to the next cell. The keys reach the
grid through ``app.labelling.key_target``, so they follow the window's own bindings and the
user's keyboard layout. Each cell shows its clip's state for the Explorer's class.

Each cell also has a tick; untick the clips that do not belong (click, or T on the focused cell)
and the bulk label applies to the ticked ones only. A click on a cell shows that clip in the
main view; pictures arrive one by one from the thumbnail service, so the grid is usable while
it fills. At most ``MAX_CELLS`` cells: a selection of thousands is checked by sampling.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QWidget

from model.explore.table import ABSENT, PRESENT, UNCERTAIN
from model.project.records import LabelState

MAX_CELLS = 120
#: The grid's keys while it has the focus, for its tool tip and the shortcut sheet (F1).
GALLERY_KEYS = (
    ("arrows", "move between the clips of the grid"),
    ("Space", "play the focused clip"),
    ("Enter", "show the focused clip in the main view"),
    ("class key / Shift+key", "label the focused clip present / absent, then the next one"),
    ("?", "the Explorer's class uncertain in the focused clip"),
    ("T", "tick / untick the focused clip for the bulk label"),
)
CELL = 112
CAPTION = Qt.ItemDataRole.UserRole + 1
#: How a cell shows its clip's state for the Explorer's class: mark before the time, tint.
STATES = {
    PRESENT: ("✓", None),  # tinted in the class's colour
    ABSENT: ("✗", "#8c8c8c"),
    UNCERTAIN: ("?", "#ff9900"),
}
#: Keys the grid keeps while it has the focus, although window actions use them too (the
#: arrows step clips in the main view): they move over the cells here.
NAVIGATION = {
    Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Home,
    Qt.Key.Key_End, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown, Qt.Key.Key_Return,
    Qt.Key.Key_Enter, Qt.Key.Key_T,
}  # fmt: skip


def pixmap_of(image: np.ndarray) -> QPixmap:
    """(h, w, 3) uint8 -> pixmap (copied: the array may go away)."""
    image = np.ascontiguousarray(image)
    height, width = image.shape[:2]
    qimage = QImage(image.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(qimage.copy())


def placeholder() -> QIcon:
    pixmap = QPixmap(CELL, CELL)
    pixmap.fill(QColor("#e6e6e6"))
    return QIcon(pixmap)


class Gallery(QListWidget):
    """Cells keyed by map row; ``ticked()`` says which rows to label."""

    clip_activated = Signal(int)  # map row
    ticks_changed = Signal()
    label_key = Signal(int, object, object)  # row, digit (None: the Explorer's class), state
    play_key = Signal(int)  # row
    focused = Signal(int)  # row of the cell the focus moved to

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(CELL, CELL))
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setSpacing(4)
        self.setWordWrap(False)  # wrapping elided whole lines to dots
        self.setTextElideMode(Qt.TextElideMode.ElideLeft)  # file names end in what differs
        self.setGridSize(QSize(CELL + 12, CELL + 34))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip("\n".join(f"{keys}: {what}" for keys, what in GALLERY_KEYS))
        self.present_colour = QColor("#1f77b4")
        self._items: dict[int, QListWidgetItem] = {}
        self._blank = placeholder()
        self.itemClicked.connect(lambda item: self.clip_activated.emit(int(item.data(Qt.UserRole))))
        self.itemChanged.connect(lambda _item: self.ticks_changed.emit())
        self.currentItemChanged.connect(
            lambda item, _old: self.focused.emit(self.row_of(item)) if item is not None else None
        )

    def show_rows(self, rows: np.ndarray, captions: list[str]) -> None:
        self.blockSignals(True)
        self.clear()
        self._items.clear()
        for row, caption in zip(rows[:MAX_CELLS], captions, strict=False):
            item = QListWidgetItem(self._blank, caption)
            item.setData(Qt.ItemDataRole.UserRole, int(row))
            item.setData(CAPTION, caption)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            item.setToolTip(caption)
            self.addItem(item)
            self._items[int(row)] = item
        self.blockSignals(False)
        self.ticks_changed.emit()

    def set_picture(self, row: int, image: object) -> None:
        item = self._items.get(int(row))
        if item is None:
            return
        if isinstance(image, np.ndarray):
            item.setIcon(QIcon(pixmap_of(image)))
        else:  # the audio could not be read: the cell says why
            item.setToolTip(str(image))
            item.setData(CAPTION, f"{item.data(CAPTION)}\n(unreadable)")
            item.setText(item.data(CAPTION))

    def set_states(self, states: dict[int, int]) -> None:
        """Marks and tints each cell by its clip's label state (map row -> state code)."""
        self.blockSignals(True)  # not a tick change
        for row, item in self._items.items():
            code = states.get(row)
            mark, tint = STATES.get(code, ("", None)) if code is not None else ("", None)
            caption = str(item.data(CAPTION))
            item.setText(f"{mark} {caption}" if mark else caption)
            colour = QColor(tint) if tint else QColor(self.present_colour) if mark else None
            if colour is not None:
                colour.setAlpha(90)
            item.setBackground(QBrush(colour) if colour is not None else QBrush())
        self.blockSignals(False)

    def rows(self) -> list[int]:
        return list(self._items)

    @staticmethod
    def row_of(item: QListWidgetItem) -> int:
        return int(item.data(Qt.ItemDataRole.UserRole))

    def unticked(self) -> set[int]:
        return {
            row for row, item in self._items.items() if item.checkState() != Qt.CheckState.Checked
        }

    # ----------------------------------------------------------------- keys
    def focused_row(self) -> int | None:
        """Row of the cell with the keyboard focus (None when the grid does not have it)."""
        item = self.currentItem()
        return self.row_of(item) if item is not None and self.hasFocus() else None

    def take_label_key(self, digit: str | None, state: LabelState) -> bool:
        """A label key while the grid has the focus labels the focused clip (key_target)."""
        row = self.focused_row()
        if row is None:
            return False
        self.label_key.emit(row, digit, state)
        return True

    def take_play_key(self) -> bool:
        row = self.focused_row()
        if row is None:
            return False
        self.play_key.emit(row)
        return True

    def advance(self) -> None:
        """Focus on the next cell (after a label: the next clip to judge)."""
        at = self.currentRow()
        if 0 <= at < self.count() - 1:
            self.setCurrentRow(at + 1)

    def event(self, event: Any) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and self._navigation(event):
            event.accept()  # the key comes to keyPressEvent, not to a window action
            return True
        return super().event(event)

    @staticmethod
    def _navigation(event: Any) -> bool:
        plain = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        return event.key() in NAVIGATION and plain == Qt.KeyboardModifier.NoModifier

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        item = self.currentItem()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and item is not None:
            self.clip_activated.emit(self.row_of(item))
            return
        if event.key() == Qt.Key.Key_T and item is not None and self._navigation(event):
            ticked = item.checkState() == Qt.CheckState.Checked
            item.setCheckState(Qt.CheckState.Unchecked if ticked else Qt.CheckState.Checked)
            return
        super().keyPressEvent(event)
