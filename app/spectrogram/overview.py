"""The strip under the spectrogram that shows the whole recording and where the view is.

Its tiles are the deepest useful level of the same tile pyramid, so they also serve the main
view as a fallback while finer tiles are computed. The highlighted region is the visible range:
drag it to scroll, drag its edges to zoom, click elsewhere to jump there.
"""

from __future__ import annotations

import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent, MouseDragEvent
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QWidget

from app.spectrogram.layer import TileLayer
from model.spectrogram import TileCache

#: Height of the strip in pixels (enough to recognise bursts of calls, small enough to ignore).
STRIP_HEIGHT = 56


class _StripViewBox(pg.ViewBox):
    """Fixed view of the whole file; clicks and drags outside the region move the view there."""

    def __init__(self, strip: OverviewStrip) -> None:
        super().__init__(enableMenu=False)
        self._strip = strip
        self.setMouseEnabled(x=False, y=False)

    def mouseClickEvent(self, ev: MouseClickEvent) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        self._strip.jump_requested.emit(self.mapSceneToView(ev.scenePos()).x())

    def mouseDragEvent(self, ev: MouseDragEvent, axis: int | None = None) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        self._strip.jump_requested.emit(self.mapSceneToView(ev.scenePos()).x())

    def wheelEvent(self, ev: object, axis: int | None = None) -> None:
        pass  # the strip always shows the whole file


class OverviewStrip(pg.GraphicsLayoutWidget):
    """Whole-recording spectrogram with a draggable region for the visible range."""

    region_dragged = Signal(float, float)  # new visible t0, t1 chosen on the strip
    jump_requested = Signal(float)  # centre the view on this time

    def __init__(self, cache: TileCache, left_width: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedHeight(STRIP_HEIGHT)
        self.ci.layout.setContentsMargins(0, 2, 0, 2)
        self.view_box = _StripViewBox(self)
        self.plot_item = pg.PlotItem(viewBox=self.view_box)
        self.plot_item.hideButtons()
        self.plot_item.hideAxis("bottom")
        left = self.plot_item.getAxis("left")
        left.setWidth(left_width)  # lines the strip up with the spectrogram above it
        left.setStyle(showValues=False, tickLength=0)
        self.addItem(self.plot_item)
        self.layer = TileLayer(self.view_box, cache)
        self.region = pg.LinearRegionItem(
            orientation="vertical",
            brush=pg.mkBrush(255, 255, 255, 50),
            hoverBrush=pg.mkBrush(255, 255, 255, 80),
            pen=pg.mkPen(255, 255, 255, 200, width=1.5),
            swapMode="block",
        )
        self.region.setZValue(10)
        self.view_box.addItem(self.region, ignoreBounds=True)
        self.region.sigRegionChanged.connect(self._on_region_changed)
        self._programmatic = False
        self._duration = 0.0

    def set_contrast(self, light_background: bool) -> None:
        """Draws the view box dark on light colour maps (``grey_r``), light on dark ones, so
        it shows whatever the map."""
        ink = (0, 0, 0) if light_background else (255, 255, 255)
        self.region.setBrush(pg.mkBrush(*ink, 50))
        self.region.setHoverBrush(pg.mkBrush(*ink, 80))
        for line in self.region.lines:
            line.setPen(pg.mkPen(*ink, 220, width=1.5))
            line.setHoverPen(pg.mkPen(*ink, 255, width=3))
        self.region.update()

    def set_recording(self, duration: float, nyquist: float) -> None:
        self._duration = duration
        self.view_box.setRange(
            xRange=(0.0, max(duration, 1e-3)), yRange=(0.0, max(nyquist, 1.0)), padding=0
        )
        self.region.setBounds((0.0, max(duration, 1e-3)))
        self.region.setVisible(duration > 0)

    def set_region(self, t0: float, t1: float) -> None:
        """Show the visible range (does not emit ``region_dragged``)."""
        if self.region.getRegion() == (t0, t1):
            return  # moving the region's lines costs about a millisecond each
        self._programmatic = True
        try:
            self.region.setRegion((t0, t1))
        finally:
            self._programmatic = False

    def width_px(self) -> float:
        return max(self.view_box.width(), 100.0) * self.devicePixelRatioF()

    def _on_region_changed(self) -> None:
        if not self._programmatic:
            t0, t1 = self.region.getRegion()
            self.region_dragged.emit(float(t0), float(t1))
