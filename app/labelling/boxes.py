"""Time-frequency boxes drawn over the spectrogram, all in one graphics item.

One item rather than a ``RectROI`` per box: a night of boxes is thousands of them, and a
thousand items slow pyqtgraph's scene. Like the label overlay, the item paints in device pixels
(the painter's transform is reset) so outlines stay one pixel sharp and tags unstretched at any
zoom, and it paints only the boxes inside the visible time range (a binary search on start
times). Kept apart from ``LabelOverlay``, which draws clip labels: the two only share the plot.

A box is an outline in its class colour over a thin halo of black or white (whichever contrasts
with the colour), so it reads on any colour map; the spectrogram under it stays visible. Its
state shows as for clip labels: present = solid edge, uncertain = dashed with "?", absent =
dotted with "✗". Fill comes only with the mouse over a box (faint) or with selection, when the
tag also gives the band and handles mark the corners and edges that can be dragged. A box being
drawn, not yet labelled, is a white dashed outline asking for a class key.

Tags sit on the top edge, outside the box where there is room so the call stays visible. Tags
that would cover a tag already drawn are left out (the outline and its colour still show), so a
dense page stays legible instead of becoming a pile of text.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QTransform

from app.labelling.box_paint import (
    Pens,
    TagImages,
    TagPlacer,
    handles,
    outline_groups,
    paint_tag,
    tag_rect,
    thick_outline,
)
from app.view_item import ViewFillingItem
from model.project.box_commands import band_text
from model.project.records import Box, LabelClass, LabelState

_log = logging.getLogger(__name__)
#: Boxes narrower than this many pixels get no tag (whole-file zoom): the outline has to do.
MIN_TAG_BOX_PX = 6.0
#: More boxes than this on screen: one-pixel outlines (the page is a density plot by then).
DENSE_BOXES = 300
_GREY = "#888888"
#: A tag may be wider than its box up to this, so short calls still carry a readable name.
MAX_TAG_PX = 150.0


@dataclass(frozen=True)
class BoxRect:
    """A box's place: seconds and Hz, always with start < end and low < high."""

    start: float
    end: float
    low_hz: float
    high_hz: float

    @classmethod
    def of(cls, box: Box) -> BoxRect:
        return cls(box.start, box.end, box.low_hz, box.high_hz)

    @classmethod
    def spanning(cls, t0: float, f0: float, t1: float, f1: float) -> BoxRect:
        return cls(min(t0, t1), max(t0, t1), min(f0, f1), max(f0, f1))

    def contains(self, t: float, f: float) -> bool:
        return self.start <= t <= self.end and self.low_hz <= f <= self.high_hz


def tag_text(name: str, state: LabelState) -> str:
    if state is LabelState.UNCERTAIN:
        return f"? {name}"
    if state is LabelState.ABSENT:
        return f"\u2717 {name}"
    return name


class BoxOverlay(ViewFillingItem):
    """Shows the boxes of the recording on screen; the controller tells it what to show."""

    def __init__(self) -> None:
        super().__init__()
        self._boxes: list[Box] = []
        self._starts: list[float] = []
        self._longest = 0.0
        self._classes: dict[int, LabelClass] = {}
        self._colours: dict[int, str] = {}
        self._selected: int | None = None
        self._hover: int | None = None
        self._draft: tuple[BoxRect, bool] | None = None  # geometry, unlabelled?
        self._draft_replaces: int | None = None  # the stored box hidden while it is dragged
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # the view box routes the mouse
        self.setZValue(25)  # over clip labels (20): a box is the finer statement
        font = QFont()
        font.setPointSizeF(max(font.pointSizeF(), 8.0))
        font.setBold(True)
        self._font = font
        self._metrics = QFontMetrics(font)
        self._pens = Pens()
        self._tags = TagImages(self._metrics, font)
        self._paint_failed = False

    # -- data -------------------------------------------------------------------------------
    def set_boxes(self, boxes: Iterable[Box], classes: Iterable[LabelClass]) -> None:
        self._classes = {c.id: c for c in classes}
        self._colours = {c.id: c.colour for c in self._classes.values()}
        self._boxes = sorted(boxes, key=lambda b: (b.start, b.id))
        self._starts = [b.start for b in self._boxes]
        self._longest = max((b.end - b.start for b in self._boxes), default=0.0)
        self.update()

    def boxes(self) -> list[Box]:
        return list(self._boxes)

    def set_selected(self, box_id: int | None) -> None:
        if box_id != self._selected:
            self._selected = box_id
            self.update()

    def set_hover(self, box_id: int | None) -> None:
        if box_id != self._hover:
            self._hover = box_id
            self.update()

    def set_draft(
        self, rect: BoxRect | None, *, unlabelled: bool = False, replaces: int | None = None
    ) -> None:
        """A box being drawn, or a drawn box waiting for its class key (``unlabelled``), or
        the stored box ``replaces`` while the mouse moves or resizes it (drawn instead of it)."""
        self._draft = None if rect is None else (rect, unlabelled)
        self._draft_replaces = None if rect is None else replaces
        self.update()

    def draft(self) -> BoxRect | None:
        return None if self._draft is None else self._draft[0]

    def visible_boxes(self, t0: float, t1: float) -> list[Box]:
        """Boxes overlapping [t0, t1] in time, by start; the binary search keeps paints cheap."""
        first = bisect_left(self._starts, t0 - self._longest)
        out = []
        for box in self._boxes[first:]:
            if box.start > t1:
                break
            if box.end >= t0:
                out.append(box)
        return out

    def boxes_at(self, t: float, f: float) -> list[Box]:
        """Boxes containing the point, smallest first (the one a click means)."""
        hits = [b for b in self.visible_boxes(t, t) if BoxRect.of(b).contains(t, f)]
        return sorted(hits, key=lambda b: (b.end - b.start) * (b.high_hz - b.low_hz))

    def tag_height(self) -> int:
        return self._metrics.height() + 2

    # -- QGraphicsItem ----------------------------------------------------------------------
    def paint(self, painter: QPainter, *args: object) -> None:
        view = self.viewRect()
        if view is None or view.width() <= 0 or (not self._boxes and self._draft is None):
            return
        transform = painter.transform()
        painter.save()
        try:
            self._paint(painter, transform, view)
        except Exception:  # noqa: BLE001 - an exception leaving paint() kills the process
            if not self._paint_failed:  # once: a repaint comes with every mouse move
                self._paint_failed = True
                _log.exception("drawing the time-frequency boxes failed")
        finally:
            painter.restore()

    def _paint(self, painter: QPainter, transform: QTransform, view: QRectF) -> None:
        area = transform.mapRect(view).normalized()
        painter.resetTransform()
        painter.setClipRect(area)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setFont(self._font)
        shown = self._on_screen(transform, area, view.left(), view.right())
        groups: dict[tuple[str, LabelState], list[QRect]] = defaultdict(list)
        colours = self._colours
        for box, rect in shown:
            if box.id != self._selected:
                groups[(colours.get(box.class_id, _GREY), box.state)].append(rect)
            if box.id == self._hover and box.id != self._selected:
                fill = QColor(colours.get(box.class_id, _GREY))
                fill.setAlpha(28)
                painter.fillRect(rect, fill)
        outline_groups(painter, groups, self._pens, dense=len(shown) > DENSE_BOXES)
        selected = next(((b, r) for b, r in shown if b.id == self._selected), None)
        selected_tag = None
        if selected is not None:
            box = selected[0]
            text = f"{self._name(box)}  {band_text(box.low_hz, box.high_hz)}"
            selected_tag = (tag_rect(self._metrics, area, selected[1], text), text)
        self._paint_tags(painter, area, shown, selected_tag[0] if selected_tag else None)
        if selected is not None and selected_tag is not None:
            self._paint_selected(painter, *selected, *selected_tag)
        if self._draft is not None:
            self._paint_draft(painter, transform, area)

    def _colour_name(self, class_id: int) -> str:
        return self._colours.get(class_id, _GREY)

    def _on_screen(
        self, transform: QTransform, area: QRectF, t0: float, t1: float
    ) -> list[tuple[Box, QRect]]:
        """Visible boxes with their rectangle in device pixels (whole pixels: one-pixel lines
        land on pixel rows, never smeared over two)."""
        out = []
        left, right = area.left() - 4, area.right() + 4
        top, bottom = area.top() - 4, area.bottom() + 4
        to_device = self._mapper(transform)
        skip = self._draft_replaces
        for box in self.visible_boxes(t0, t1):
            x0, y0, x1, y1 = to_device(box.start, box.high_hz, box.end, box.low_hz)
            if x1 >= left and x0 <= right and y1 >= top and y0 <= bottom and box.id != skip:
                out.append((box, QRect(x0, y0, x1 - x0 or 1, y1 - y0 or 1)))
        return out

    @staticmethod
    def _mapper(transform: QTransform) -> Callable[[float, float, float, float], tuple[int, ...]]:
        """(t0, f0, t1, f1) -> whole device pixels (x0, y0, x1, y1), sorted. The plot's
        transform only scales and shifts, so that is four multiply-adds instead of two
        ``QTransform.map`` calls per box; anything else goes through ``map``."""
        if not transform.isRotating():  # neither rotated, sheared nor projected
            sx, sy, dx, dy = transform.m11(), transform.m22(), transform.dx(), transform.dy()

            def scaled(t0: float, f0: float, t1: float, f1: float) -> tuple[int, ...]:
                xa, xb = round(sx * t0 + dx), round(sx * t1 + dx)
                ya, yb = round(sy * f0 + dy), round(sy * f1 + dy)
                xa, xb = (xa, xb) if xa <= xb else (xb, xa)
                return (xa, ya, xb, yb) if ya <= yb else (xa, yb, xb, ya)

            return scaled

        def mapped(t0: float, f0: float, t1: float, f1: float) -> tuple[int, ...]:
            a, b = transform.map(QPointF(t0, f0)), transform.map(QPointF(t1, f1))
            xa, xb, ya, yb = round(a.x()), round(b.x()), round(a.y()), round(b.y())
            return min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb)

        return mapped

    def _device_rect(self, transform: QTransform, rect: BoxRect) -> QRect:
        x0, y0, x1, y1 = self._mapper(transform)(rect.start, rect.high_hz, rect.end, rect.low_hz)
        return QRect(x0, y0, max(x1 - x0, 1), max(y1 - y0, 1))

    def _name(self, box: Box) -> str:
        cls = self._classes.get(box.class_id)
        return tag_text(cls.name if cls else f"class {box.class_id}", box.state)

    def _paint_tags(
        self,
        painter: QPainter,
        area: QRectF,
        shown: list[tuple[Box, QRect]],
        reserved: QRectF | None,
    ) -> None:
        """Tags of the unselected boxes wide enough to carry one, none over another nor over
        ``reserved`` (the selected box's). Plain numbers until a tag is known to be drawn:
        this loop runs for every box on screen."""
        height = self.tag_height()
        placer = TagPlacer(height)
        if reserved is not None:
            placer.take(reserved.left(), reserved.top(), reserved.right())
        widths: dict[str, int] = {}  # one measurement per name, not per box
        a_left, a_top, a_right = area.left(), area.top(), area.right()
        for box, rect in shown:
            width_px = rect.width()
            if box.id == self._selected or width_px < MIN_TAG_BOX_PX:
                continue
            text = self._name(box)
            if text not in widths:
                widths[text] = self._metrics.horizontalAdvance(text) + 12
            width = min(widths[text], max(width_px, MAX_TAG_PX))
            top = rect.top() - height if rect.top() - height >= a_top else rect.top()
            left = max(min(rect.left(), a_right - width), a_left)
            if placer.free(left, top, left + width):
                placer.take(left, top, left + width)
                colour = self._colour_name(box.class_id)
                self._tags.draw(painter, left, top, (int(width), height), colour, text, box.state)

    def _paint_selected(
        self, painter: QPainter, box: Box, rect: QRect, tag: QRectF, text: str
    ) -> None:
        colour = QColor(self._colour_name(box.class_id))
        fill = QColor(colour)
        fill.setAlpha(60)
        painter.fillRect(rect, fill)
        thick_outline(painter, rect, colour, box.state, 3)
        handles(painter, rect, colour)
        paint_tag(painter, self._metrics, tag, colour, text, box.state)

    def _paint_draft(self, painter: QPainter, transform: QTransform, area: QRectF) -> None:
        assert self._draft is not None
        geometry, unlabelled = self._draft
        rect = self._device_rect(transform, geometry)
        colour = QColor("white")
        if not unlabelled:
            box = next((b for b in self._boxes if b.id == self._draft_replaces), None)
            colour = QColor(self._colour_name(box.class_id)) if box is not None else colour
        fill = QColor(colour)
        fill.setAlpha(40)
        painter.fillRect(rect, fill)
        thick_outline(painter, rect, colour, LabelState.UNCERTAIN, 2)
        handles(painter, rect, colour)
        band = band_text(geometry.low_hz, geometry.high_hz)
        text = f"press a class key  {band}" if unlabelled else band
        tag = tag_rect(self._metrics, area, rect, text)
        paint_tag(painter, self._metrics, tag, colour, text, LabelState.PRESENT)
