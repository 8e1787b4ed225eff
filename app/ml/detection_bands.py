"""Detections drawn over the spectrogram: a faint wash and a solid bar along the bottom edge.

Kept visually apart from labels (which fill the band and carry a name tag at the top): a
detection is the model's opinion, so it takes the bottom edge and a much lighter fill, and a
labelled clip with a detection under it shows both. One item paints all bands in device pixels,
only those in the visible range, like the label overlay.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from app.ml.detections import Detection
from app.view_item import ViewFillingItem

BAR_PX = 7
WASH_ALPHA = 16


class DetectionBands(ViewFillingItem):
    """``set_detections(bands, colours)``; x is seconds, the bands span the plot's height."""

    def __init__(self) -> None:
        super().__init__()
        self._bands: list[Detection] = []
        self._starts: list[float] = []
        self._longest = 0.0
        self._colours: dict[int, QColor] = {}
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(15)  # under the label overlay (20), over the spectrogram tiles

    def set_detections(self, bands: Sequence[Detection], colours: Mapping[int, str]) -> None:
        self._bands = sorted(bands, key=lambda d: d.start)
        self._starts = [d.start for d in self._bands]
        self._longest = max((d.end - d.start for d in self._bands), default=0.0)
        self._colours = {cid: QColor(colour) for cid, colour in colours.items()}
        self.update()

    def detections(self) -> list[Detection]:
        return list(self._bands)

    def visible(self, t0: float, t1: float) -> list[Detection]:
        first = bisect_left(self._starts, t0 - self._longest)
        return [d for d in self._bands[first:] if d.start <= t1 and d.end >= t0]

    def paint(self, painter: QPainter, *args: object) -> None:
        view = self.viewRect()
        if view is None or view.width() <= 0 or not self._bands:
            return
        transform = painter.transform()
        area = transform.mapRect(view).normalized()
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for band in self.visible(view.left(), view.right()):
            x0 = transform.map(QPointF(band.start, view.top())).x()
            x1 = transform.map(QPointF(band.end, view.top())).x()
            x0, x1 = sorted((x0, x1))
            width = max(x1 - x0, 1.0)
            colour = self._colours.get(band.class_id, QColor("#cccccc"))
            wash = QColor(colour)
            wash.setAlpha(WASH_ALPHA)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(wash)
            painter.drawRect(QRectF(x0, area.top(), width, area.height()))
            painter.setBrush(QColor(0, 0, 0, 160))  # dark rim keeps the bar visible on yellow
            painter.drawRect(QRectF(x0, area.bottom() - BAR_PX - 2, width, BAR_PX + 2))
            solid = QColor(colour)
            solid.setAlpha(235)
            painter.setBrush(solid)
            painter.drawRect(QRectF(x0 + 1, area.bottom() - BAR_PX - 1, width - 2, BAR_PX))
            edge = QColor(colour)
            edge.setAlpha(150)
            painter.setPen(QPen(edge, 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(x0, area.top()), QPointF(x0, area.bottom()))
            painter.drawLine(QPointF(x1, area.top()), QPointF(x1, area.bottom()))
        painter.restore()
