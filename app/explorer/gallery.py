"""A grid of the selected clips' pictures, to check a cluster at a glance before labelling it.

Like AviaNZ's review grid: each cell has a tick; untick the clips that do not belong and the
bulk label applies to the ticked ones only. A click on a cell shows that clip in the main view
(and plays it); pictures arrive one by one from the thumbnail service, so the grid is usable
while it fills. At most ``MAX_CELLS`` cells: a selection of thousands is checked by sampling.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QWidget

MAX_CELLS = 120
CELL = 112


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
        self._items: dict[int, QListWidgetItem] = {}
        self._blank = placeholder()
        self.itemClicked.connect(lambda item: self.clip_activated.emit(int(item.data(Qt.UserRole))))
        self.itemChanged.connect(lambda _item: self.ticks_changed.emit())

    def show_rows(self, rows: np.ndarray, captions: list[str]) -> None:
        self.blockSignals(True)
        self.clear()
        self._items.clear()
        for row, caption in zip(rows[:MAX_CELLS], captions, strict=False):
            item = QListWidgetItem(self._blank, caption)
            item.setData(Qt.ItemDataRole.UserRole, int(row))
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
            item.setText(f"{item.text()}\n(unreadable)")

    def rows(self) -> list[int]:
        return list(self._items)

    def unticked(self) -> set[int]:
        return {
            row for row, item in self._items.items() if item.checkState() != Qt.CheckState.Checked
        }
