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

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPen, QTransform

from app.view_item import ViewFillingItem
from model.project.records import Box, LabelClass, LabelState

#: Boxes narrower than this many pixels get no tag (whole-file zoom): the outline has to do.
MIN_TAG_BOX_PX = 6.0
#: A tag may be wider than its box up to this, so short calls still carry a readable name.
MAX_TAG_PX = 150.0
HANDLE_PX = 6.0
_STYLE = {
    LabelState.PRESENT: Qt.PenStyle.SolidLine,
    LabelState.UNCERTAIN: Qt.PenStyle.DashLine,
    LabelState.ABSENT: Qt.PenStyle.DotLine,
}


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


def band_text(low_hz: float, high_hz: float) -> str:
    if high_hz >= 1000:
        return f"{low_hz / 1000:.1f}–{high_hz / 1000:.1f} kHz"
    return f"{low_hz:.0f}–{high_hz:.0f} Hz"


def _luminance(colour: QColor) -> float:
    return 0.299 * colour.red() + 0.587 * colour.green() + 0.114 * colour.blue()


def _halo(colour: QColor) -> QColor:
    return QColor(0, 0, 0, 200) if _luminance(colour) > 140 else QColor(255, 255, 255, 190)


def _ink(colour: QColor) -> QColor:
    return QColor("black") if _luminance(colour) > 150 else QColor("white")


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

    # -- data -------------------------------------------------------------------------------
    def set_boxes(self, boxes: Iterable[Box], classes: Iterable[LabelClass]) -> None:
        self._classes = {c.id: c for c in classes}
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
        area = transform.mapRect(view).normalized()
        painter.save()
        painter.resetTransform()
        painter.setClipRect(area)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setFont(self._font)
        tags: list[QRectF] = []
        selected: Box | None = None
        for box in self.visible_boxes(view.left(), view.right()):
            if box.id == self._draft_replaces:
                continue
            if box.id == self._selected:
                selected = box  # painted last, over its neighbours
                continue
            self._paint_box(painter, transform, area, box, tags, hover=box.id == self._hover)
        if selected is not None:
            self._paint_box(painter, transform, area, selected, tags, selected=True)
        if self._draft is not None:
            self._paint_draft(painter, transform, area)
        painter.restore()

    def _device_rect(self, transform: QTransform, rect: BoxRect) -> QRectF:
        a = transform.map(QPointF(rect.start, rect.high_hz))
        b = transform.map(QPointF(rect.end, rect.low_hz))
        return QRectF(a, b).normalized()

    def _paint_box(
        self,
        painter: QPainter,
        transform: QTransform,
        area: QRectF,
        box: Box,
        tags: list[QRectF],
        *,
        hover: bool = False,
        selected: bool = False,
    ) -> None:
        rect = self._device_rect(transform, BoxRect.of(box))
        if not rect.intersects(area.adjusted(-2, -2, 2, 2)):
            return
        cls = self._classes.get(box.class_id)
        colour = QColor(cls.colour if cls else "#888888")
        if hover or selected:
            fill = QColor(colour)
            fill.setAlpha(60 if selected else 28)
            painter.fillRect(rect, fill)
        self._outline(painter, rect, colour, _STYLE[box.state], 2.5 if selected else 1.5)
        if selected:
            self._handles(painter, rect, colour)
        name = tag_text(cls.name if cls else f"class {box.class_id}", box.state)
        if selected:
            name += f"  {band_text(box.low_hz, box.high_hz)}"
        self._tag(painter, area, rect, colour, name, box.state, tags, force=selected)

    def _paint_draft(self, painter: QPainter, transform: QTransform, area: QRectF) -> None:
        assert self._draft is not None
        geometry, unlabelled = self._draft
        rect = self._device_rect(transform, geometry)
        colour = QColor("white")
        if not unlabelled:
            box = next((b for b in self._boxes if b.id == self._draft_replaces), None)
            cls = self._classes.get(box.class_id) if box is not None else None
            colour = QColor(cls.colour) if cls is not None else colour
        fill = QColor(colour)
        fill.setAlpha(40)
        painter.fillRect(rect, fill)
        self._outline(painter, rect, colour, Qt.PenStyle.DashLine, 2.0)
        self._handles(painter, rect, colour)
        band = band_text(geometry.low_hz, geometry.high_hz)
        text = f"press a class key  {band}" if unlabelled else band
        self._tag(painter, area, rect, colour, text, LabelState.PRESENT, [], force=True)

    @staticmethod
    def _outline(
        painter: QPainter, rect: QRectF, colour: QColor, style: Qt.PenStyle, width: float
    ) -> None:
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(_halo(colour), width + 2.0))
        painter.drawRect(rect)
        edge = QColor(colour)
        edge.setAlpha(240)
        painter.setPen(QPen(edge, width, style))
        painter.drawRect(rect)

    @staticmethod
    def _handles(painter: QPainter, rect: QRectF, colour: QColor) -> None:
        painter.setPen(QPen(_halo(colour), 1.0))
        painter.setBrush(QBrush(colour))
        h = HANDLE_PX
        xs = (rect.left(), rect.center().x(), rect.right())
        ys = (rect.top(), rect.center().y(), rect.bottom())
        for i, x in enumerate(xs):
            for j, y in enumerate(ys):
                if i == 1 and j == 1:
                    continue
                painter.drawRect(QRectF(x - h / 2, y - h / 2, h, h))

    def _tag(
        self,
        painter: QPainter,
        area: QRectF,
        rect: QRectF,
        colour: QColor,
        text: str,
        state: LabelState,
        taken: list[QRectF],
        *,
        force: bool = False,
    ) -> None:
        """The name on the top edge: outside above the box when it fits under the plot's top,
        else just inside; skipped (unless ``force``) over another tag or on a sliver of a box."""
        if rect.width() < MIN_TAG_BOX_PX and not force:
            return
        metrics = self._metrics
        height = self.tag_height()
        wanted = metrics.horizontalAdvance(text) + 12
        width = min(wanted, max(rect.width(), MAX_TAG_PX if not force else wanted))
        top = rect.top() - height if rect.top() - height >= area.top() else rect.top()
        left = max(min(rect.left(), area.right() - width), area.left())  # kept on the plot
        tag = QRectF(left, top, width, height)
        if not force:
            while taken and taken[0].right() < tag.left() - 200:
                taken.pop(0)  # tags far to the left can no longer collide (boxes go by start)
            if any(tag.intersects(other) for other in taken):
                return
        label = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(width) - 8)
        if len(label) < 2:
            return
        taken.append(tag)
        if state is LabelState.ABSENT:
            painter.setBrush(QColor(20, 20, 20, 215))
            painter.setPen(QPen(colour, 1.0))
            ink = QColor(colour).lighter(160)
        else:
            solid = QColor(colour)
            solid.setAlpha(230)
            painter.setBrush(solid)
            painter.setPen(QPen(_halo(colour), 1.0))
            ink = _ink(colour)
        painter.drawRect(tag)
        painter.setPen(ink)
        painter.drawText(
            tag.adjusted(4, 0, -4, 0),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            label,
        )
