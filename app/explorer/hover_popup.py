"""The hovered clip's picture in a small window beside the pointer, where the eyes already are.

A frameless tool-tip window (it never takes the focus, so the map keeps the keys and the
mouse), placed below and to the right of the pointer and flipped to stay on the screen. It
follows the hovered clip: its caption at once, the spectrogram thumbnail as soon as the
thumbnail service has made it; it goes when the pointer leaves the clips or the map.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QCursor, QGuiApplication
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from app.explorer.gallery import CELL, pixmap_of

OFFSET = 18  # pixels between the pointer and the popup's corner
SIZE = int(1.5 * CELL)  # the picture's longer side


class HoverPopup(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.ToolTip)
        self.setObjectName("explorer-hover")
        self.setFrameShape(QFrame.Shape.Box)
        self.setStyleSheet(
            "#explorer-hover { background: palette(tooltip-base); border: 1px solid #555; }"
        )
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.row = -1
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        self.picture = QLabel()
        self.picture.setFixedSize(SIZE, SIZE)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption = QLabel()
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setMaximumWidth(SIZE)
        layout.addWidget(self.picture)
        layout.addWidget(self.caption)

    def show_clip(self, row: int, caption: str, picture: Any = None) -> None:
        """Shows ``row``'s caption (and picture, when made) beside the pointer."""
        self.row = row
        self.caption.setText(caption)
        self.set_picture(row, picture)
        self.adjustSize()
        self.place(QCursor.pos())
        if not self.isVisible():
            self.show()

    def set_picture(self, row: int, picture: Any) -> None:
        """A thumbnail arrived: shown if it is the hovered clip's; text says why there is none."""
        if row != self.row:
            return
        if isinstance(picture, np.ndarray):
            pixmap = pixmap_of(picture).scaled(
                SIZE, SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )  # fmt: skip
            self.picture.setPixmap(pixmap)
        else:
            self.picture.setText("drawing…" if picture is None else str(picture))
            self.picture.setWordWrap(True)

    def place(self, pointer: QPoint) -> None:
        """Below right of the pointer; left of or above it where the screen ends."""
        size = self.sizeHint().expandedTo(self.size())
        screen = QGuiApplication.screenAt(pointer) or QGuiApplication.primaryScreen()
        area = screen.availableGeometry() if screen is not None else None
        x, y = pointer.x() + OFFSET, pointer.y() + OFFSET
        if area is not None:
            if x + size.width() > area.right():
                x = pointer.x() - OFFSET - size.width()
            if y + size.height() > area.bottom():
                y = pointer.y() - OFFSET - size.height()
            x, y = max(area.left(), x), max(area.top(), y)
        self.move(x, y)

    def leave(self) -> None:
        self.row = -1
        self.hide()
