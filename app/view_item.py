"""A pyqtgraph item that covers whatever part of the plot is in view.

Label bands and detection bands are drawn by one item each, in screen space, over the visible
time range only; thousands of labels on a 12-hour night would be thousands of items otherwise.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF


class ViewFillingItem(pg.GraphicsObject):
    """Bounds = the view; repaints on every pan and zoom (subclasses implement ``paint``)."""

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        rect = self.viewRect()
        return QRectF() if rect is None else rect

    def viewTransformChanged(self) -> None:  # noqa: N802 - pyqtgraph API
        self.prepareGeometryChange()
        super().viewTransformChanged()
