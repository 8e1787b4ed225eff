"""The map itself: every clip as a point, lasso and rectangle selection.

Drawn as one picture while many points are in view (``app.explorer.raster``: binned to the
view's pixel grid with NumPy and drawn again whenever the view moves or resizes), and as a
real pyqtgraph scatter item once few are (up to ``SCATTER_LIMIT``), where round, antialiased
points are cheap. Colours are a palette index per point and a lookup table, never a brush
object per point. Selection is computed in NumPy on the map's coordinates (matplotlib's
``Path.contains_points`` for the lasso), never point by point in Python; clicks and hovering
find the nearest clip with a k-d tree, within a few pixels: they work on the data, not on the
pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QWidget

from app.explorer.raster import Grid, lut_of, rasterise

PICK_PIXELS = 8.0
SELECTED_PEN = "#111111"
SCATTER_LIMIT = 5_000  # points in view up to which they are drawn as a scatter item


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
        self.bounds: Callable[[], QRectF | None] | None = None  # the map's extent

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

    def autoRange(self, padding=None, items=None, item=None):  # noqa: ANN001, ANN201, N802
        """View all: the whole map, whatever is drawn at the moment."""
        rect = self.bounds() if self.bounds is not None else None
        if rect is not None:
            self.setRange(rect=rect, padding=0.04 if padding is None else padding)
        self.disableAutoRange()

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
        self.index = np.zeros(0, np.int64)
        self.shown = np.zeros(0, bool)
        self.chosen = np.zeros(0, bool)  # selected rows (ringed)
        self.lut = lut_of(np.zeros((0, 4)))
        self._brushes: list[Any] = []
        self._tree = None
        self._drawn_key: tuple | None = None
        self._version = 0  # of the points, colours and selection
        self.drawn = 0  # points in the last drawing
        self.mode = "raster"  # or "scatter": how the last drawing was made
        self.picture = pg.ImageItem(axisOrder="row-major")
        self.layers: list[pg.ScatterPlotItem] = []  # scatter items, one per colour
        self.selected = pg.ScatterPlotItem(
            pxMode=True, size=11, brush=None, pen=pg.mkPen(SELECTED_PEN, width=1.2)
        )
        self.current = pg.ScatterPlotItem(
            pxMode=True, size=18, symbol="o", brush=None, pen=pg.mkPen("#d62728", width=3)
        )
        for z, item in ((0, self.picture), (1000, self.selected), (1001, self.current)):
            item.setZValue(z)
            self.addItem(item, ignoreBounds=True)
        self.box.bounds = self.bounds
        self.box.sigRangeChanged.connect(lambda *_: self.redraw())
        self.box.sigResized.connect(lambda *_: self.redraw())
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
        ``shown`` are left out of drawing, picking and lasso. ``under_all`` is accepted for
        callers of the layered drawing this replaced: the priorities give the same picture."""
        del under_all
        fresh = self.coords.shape != coords.shape or not np.array_equal(self.coords, coords)
        self.coords = np.asarray(coords, np.float32)
        self.index = np.asarray(index, np.int64)
        self.shown = np.ones(len(coords), bool) if shown is None else np.asarray(shown, bool)
        if len(self.chosen) != len(self.coords):
            self.chosen = np.zeros(len(self.coords), bool)
        rgba = np.array([colour.getRgb() for colour in palette], np.uint8).reshape(-1, 4)
        self.lut = lut_of(rgba)
        self._brushes = [pg.mkBrush(colour) for colour in palette]
        self._version += 1
        if fresh:
            self._tree = _tree_of(self.coords)
            self.box.autoRange()  # draws, when the view moved
        self.redraw()

    def bounds(self) -> QRectF | None:
        """The map's extent (what "view all" shows): the drawn items have none of their own,
        so that drawing the points in view never moves the view."""
        if not len(self.coords):
            return None
        low, high = self.coords.min(axis=0), self.coords.max(axis=0)
        size = np.maximum(high - low, 1e-6)
        return QRectF(float(low[0]), float(low[1]), float(size[0]), float(size[1]))

    def point_count(self) -> int:
        """Points in the last drawing (those shown and inside the view)."""
        return self.drawn

    def set_selected(self, mask: np.ndarray) -> None:
        mask = np.asarray(mask, bool)
        self.chosen = mask if len(mask) == len(self.coords) else np.zeros(len(self.coords), bool)
        self._version += 1
        self.redraw()

    def set_current(self, row: int | None) -> None:
        if row is None or not 0 <= row < len(self.coords):
            self.current.setData([], [])
        else:
            self.current.setData([self.coords[row, 0]], [self.coords[row, 1]])

    def set_tool(self, tool: Tool) -> None:
        self.box.tool = Tool(tool)

    # ----------------------------------------------------------------- drawing
    def _grid(self) -> Grid | None:
        (x0, x1), (y0, y1) = self.box.viewRange()
        ratio = self.devicePixelRatioF() or 1.0
        width = max(1, int(round(self.box.width() * ratio)))
        height = max(1, int(round(self.box.height() * ratio)))
        if x1 <= x0 or y1 <= y0:
            return None
        return Grid(x0, y0, (x1 - x0) / width, (y1 - y0) / height, width, height)

    def redraw(self) -> None:
        """Draws the points in view again, as a picture or a scatter item (see module note);
        nothing when neither the view nor the points changed."""
        grid = self._grid()
        key = (grid, self._version)
        if grid is None or key == self._drawn_key:
            return
        self._drawn_key = key
        pad_x, pad_y = grid.pixel_w * 8, grid.pixel_h * 8  # discs of points just outside
        x, y = self.coords[:, 0], self.coords[:, 1]
        inside = (x >= grid.x0 - pad_x) & (x <= grid.x0 + grid.pixel_w * grid.width + pad_x)
        inside &= (y >= grid.y0 - pad_y) & (y <= grid.y0 + grid.pixel_h * grid.height + pad_y)
        rows = np.flatnonzero(inside & self.shown)
        if len(rows) <= SCATTER_LIMIT:
            self._draw_scatter(rows)
        else:
            self._draw_picture(grid, rows)

    def _draw_scatter(self, rows: np.ndarray) -> None:
        """One scatter item per colour, each with one shared brush (pyqtgraph styles a whole
        item at once; a brush per point is styled point by point), higher colours on top."""
        self.mode = "scatter"
        self.picture.clear()
        size = 9 if len(rows) < 2_000 else 7
        index = self.index[rows]
        while len(self.layers) < len(self._brushes):
            layer = pg.ScatterPlotItem(pxMode=True, pen=None, antialias=True)
            layer.setZValue(1 + len(self.layers) / 100)
            self.addItem(layer, ignoreBounds=True)
            self.layers.append(layer)
        for number, layer in enumerate(self.layers):
            mine = rows[index == number] if number < len(self._brushes) else rows[:0]
            if len(mine) or len(layer.data):
                layer.setData(
                    x=self.coords[mine, 0], y=self.coords[mine, 1], size=size,
                    brush=self._brushes[number] if len(mine) else None,
                )  # fmt: skip
        ringed = rows[self.chosen[rows]]
        self.selected.setData(x=self.coords[ringed, 0], y=self.coords[ringed, 1])
        self.drawn = len(rows)

    def _clear_scatter(self) -> None:
        for layer in self.layers:
            if len(layer.data):
                layer.clear()
        self.selected.clear()

    def _draw_picture(self, grid: Grid, rows: np.ndarray) -> None:
        self.mode = "picture"
        self._clear_scatter()
        ratio = self.devicePixelRatioF() or 1.0
        radius = max(1, int(round((3 if len(rows) < 20_000 else 2) * ratio)))
        every = len(rows) == len(self.coords)  # the whole map in view: no copies
        image, self.drawn = rasterise(
            grid, self.coords if every else self.coords[rows],
            self.index if every else self.index[rows], self.lut, radius,
            self.chosen if every else self.chosen[rows],
        )  # fmt: skip
        self.picture.setImage(image, autoLevels=False, levels=None)
        self.picture.setRect(
            QRectF(grid.x0, grid.y0, grid.pixel_w * grid.width, grid.pixel_h * grid.height)
        )

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
            self.clip_hovered.emit(-1)
            return
        point = self.box.mapSceneToView(scene_pos)
        row = self.nearest(float(point.x()), float(point.y()))
        self.clip_hovered.emit(-1 if row is None else row)

    def leaveEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        self.clip_hovered.emit(-1)  # the pointer left the map: no clip is hovered
        super().leaveEvent(event)

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
