"""The map itself: every clip as a point, lasso and rectangle selection.

One pyqtgraph ScatterPlotItem per colour, each with a single brush, stacked in palette order
(labelled clips above unlabelled ones, high scores above low): handing pyqtgraph 100k points
with a brush each took seconds (it styles point by point), one brush per item is vectorised.
Selection is computed in NumPy on the map's coordinates (matplotlib's
``Path.contains_points`` for the lasso), never point by point in Python; clicks and hovering
find the nearest clip with a k-d tree, within a few pixels.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QWidget

PICK_PIXELS = 8.0
SELECTED_PEN = "#111111"


class Tool(StrEnum):
    PAN = "pan"
    LASSO = "lasso"
    RECTANGLE = "rectangle"


class MapViewBox(pg.ViewBox):
    """Left drags draw a lasso or rectangle while a selection tool is on; otherwise pan/zoom."""

    dragged = Signal(object, bool)  # polygon (n, 2) in map coordinates, add-to-selection
    clicked = Signal(float, float, bool)  # map x, y, add-to-selection

    def __init__(self) -> None:
        super().__init__()
        self.tool = Tool.LASSO
        self.setAspectLocked(False)
        self._points: list[QPointF] = []
        self._outline = QGraphicsPathItem()
        pen = QPen(QColor("#d62728"))
        pen.setCosmetic(True)
        pen.setWidth(2)
        pen.setStyle(Qt.PenStyle.DashLine)
        self._outline.setPen(pen)
        self._outline.setZValue(1e6)
        self.addItem(self._outline, ignoreBounds=True)

    def mouseDragEvent(self, ev, axis=None):  # noqa: ANN001, ANN201, N802 - pyqtgraph API
        if self.tool is Tool.PAN or ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        point = self.mapToView(ev.pos())
        if ev.isStart():
            self._points = [self.mapToView(ev.buttonDownPos())]
        self._points.append(point)
        self._draw()
        if ev.isFinish():
            polygon = self._polygon()
            self._points = []
            self._outline.setPath(QPainterPath())
            add = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            if len(polygon) >= 3:
                self.dragged.emit(polygon, add)

    def _polygon(self) -> np.ndarray:
        if not self._points:
            return np.zeros((0, 2))
        if self.tool is Tool.RECTANGLE:
            (x0, y0), (x1, y1) = self._xy(self._points[0]), self._xy(self._points[-1])
            return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        return np.array([self._xy(p) for p in self._points])

    @staticmethod
    def _xy(point: QPointF) -> tuple[float, float]:
        return float(point.x()), float(point.y())

    def _draw(self) -> None:
        polygon = self._polygon()
        path = QPainterPath()
        if len(polygon):
            path.moveTo(*polygon[0])
            for x, y in polygon[1:]:
                path.lineTo(x, y)
            path.closeSubpath()
        self._outline.setPath(path)

    def mouseClickEvent(self, ev, axis=None):  # noqa: ANN001, ANN201, N802 - pyqtgraph API
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            point = self.mapToView(ev.pos())
            add = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.clicked.emit(float(point.x()), float(point.y()), add)
            return
        super().mouseClickEvent(ev)


class MapView(pg.PlotWidget):
    """Points, the selection drawn over them, and the clip shown in the main view."""

    clip_clicked = Signal(int, bool)  # row, add-to-selection
    clip_hovered = Signal(int)  # row, or -1 when the mouse is over no clip
    area_selected = Signal(object, bool)  # bool mask over rows, add-to-selection

    def __init__(self, parent: QWidget | None = None) -> None:
        self.box = MapViewBox()
        super().__init__(parent, viewBox=self.box, background="w")
        self.plot_item = self.getPlotItem()
        for axis in ("left", "bottom"):
            self.plot_item.hideAxis(axis)
        self.coords = np.zeros((0, 2), np.float32)
        self._tree = None
        self.layers: list[pg.ScatterPlotItem] = []  # one per palette colour, in drawing order
        self.shown = np.zeros(0, bool)
        self._layer_rows: dict[int, tuple[np.ndarray, str]] = {}
        self.selected = pg.ScatterPlotItem(
            pxMode=True, size=11, brush=None, pen=pg.mkPen(SELECTED_PEN, width=1.2)
        )
        self.current = pg.ScatterPlotItem(
            pxMode=True, size=18, symbol="o", brush=None, pen=pg.mkPen("#d62728", width=3)
        )
        for z, item in ((1000, self.selected), (1001, self.current)):
            item.setZValue(z)
            self.addItem(item)
        self.box.dragged.connect(self._on_dragged)
        self.box.clicked.connect(self._on_clicked)
        self._hover = pg.SignalProxy(
            self.scene().sigMouseMoved, rateLimit=30, slot=lambda args: self._on_moved(args[0])
        )

    # ----------------------------------------------------------------- data
    def set_points(
        self,
        coords: np.ndarray,
        index: np.ndarray,
        palette: list[QColor],
        shown: np.ndarray | None = None,
        under_all: bool = False,
    ) -> None:
        """All points: ``index`` into ``palette`` per row (higher drawn on top); rows not
        ``shown`` are left out of drawing, picking and lasso. ``under_all`` draws every point
        in the first colour underneath, so that layer never changes when labels do."""
        fresh = self.coords.shape != coords.shape or not np.array_equal(self.coords, coords)
        self.coords = np.asarray(coords, np.float32)
        self.shown = np.ones(len(coords), bool) if shown is None else np.asarray(shown, bool)
        if fresh:
            self._tree = _tree_of(self.coords)
        size = 9 if len(coords) < 2_000 else 7 if len(coords) < 20_000 else 5
        for layer in self.layers:
            if layer.opts["size"] != size:
                layer.setSize(size)
        while len(self.layers) < len(palette):
            layer = pg.ScatterPlotItem(pxMode=True, size=size, pen=None, antialias=False)
            layer.setZValue(len(self.layers))
            self.addItem(layer)
            self.layers.append(layer)
        for number, layer in enumerate(self.layers):
            if number >= len(palette):
                rows = np.zeros(0, np.int64)
            elif number == 0 and under_all:
                rows = np.flatnonzero(self.shown)
            else:
                rows = np.flatnonzero(self.shown & (index == number))
            colour = (
                palette[number].name(QColor.NameFormat.HexArgb) if number < len(palette) else ""
            )
            before = self._layer_rows.get(number)
            if (
                fresh
                or before is None
                or before[1] != colour
                or not np.array_equal(before[0], rows)
            ):
                # Only layers whose clips changed are handed over again: after a bulk label
                # that is the few labelled clips, not the 100k grey ones under them.
                layer.setData(
                    x=self.coords[rows, 0], y=self.coords[rows, 1],
                    brush=pg.mkBrush(palette[number]) if number < len(palette) else None,
                )  # fmt: skip
                self._layer_rows[number] = (rows, colour)
        if fresh:
            self.box.autoRange(padding=0.04)

    def point_count(self) -> int:
        return sum(len(layer.data) for layer in self.layers)

    def set_selected(self, mask: np.ndarray) -> None:
        rows = np.flatnonzero(mask) if len(mask) == len(self.coords) else np.zeros(0, int)
        self.selected.setData(x=self.coords[rows, 0], y=self.coords[rows, 1])

    def set_current(self, row: int | None) -> None:
        if row is None or not 0 <= row < len(self.coords):
            self.current.setData([], [])
        else:
            self.current.setData([self.coords[row, 0]], [self.coords[row, 1]])

    def set_tool(self, tool: Tool) -> None:
        self.box.tool = Tool(tool)

    # ----------------------------------------------------------------- picking
    def nearest(self, x: float, y: float) -> int | None:
        """Row of the clip within PICK_PIXELS of a map position, or None."""
        if self._tree is None:
            return None
        width, height = self.box.viewPixelSize()
        scale = np.array([1 / max(width, 1e-12), 1 / max(height, 1e-12)])
        # Candidates by map distance, then judged in pixels (axes are scaled differently).
        radius = PICK_PIXELS * max(width, height)
        rows = [r for r in self._tree.query_ball_point([x, y], radius) if self.shown[r]]
        if not rows:
            return None
        pixels = np.linalg.norm((self.coords[rows] - [x, y]) * scale, axis=1)
        best = int(np.argmin(pixels))
        return int(rows[best]) if pixels[best] <= PICK_PIXELS else None

    def _on_clicked(self, x: float, y: float, add: bool) -> None:
        row = self.nearest(x, y)
        if row is not None:
            self.clip_clicked.emit(row, add)

    def _on_moved(self, scene_pos: QPointF) -> None:
        if not self.box.sceneBoundingRect().contains(scene_pos):
            return
        point = self.box.mapSceneToView(scene_pos)
        row = self.nearest(float(point.x()), float(point.y()))
        self.clip_hovered.emit(-1 if row is None else row)

    def _on_dragged(self, polygon: np.ndarray, add: bool) -> None:
        self.area_selected.emit(inside(self.coords, polygon) & self.shown, add)


def inside(coords: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Bool per point: inside the closed polygon (lasso or rectangle)."""
    from matplotlib.path import Path

    if len(coords) == 0 or len(polygon) < 3:
        return np.zeros(len(coords), bool)
    return Path(np.asarray(polygon, np.float64)).contains_points(np.asarray(coords, np.float64))


def _tree_of(coords: np.ndarray) -> Any:
    """The points' k-d tree for picking; None without points (SciPy, a second's import on a
    cold start, is loaded only once there is a map to pick from)."""
    if not len(coords):
        return None
    from scipy.spatial import cKDTree

    return cKDTree(coords)
