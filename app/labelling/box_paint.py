"""Painting many boxes fast: outlines in batches of one-pixel lines, tags that never collide.

Qt's raster engine strokes a pen wider than one pixel (or a dashed one) through its general
path stroker, which costs tens of microseconds per rectangle: a thousand boxes took longer than
a frame. One-pixel ("cosmetic") lines take the fast path, and ``drawRects`` with a whole list
takes one call. So a box's outline is four one-pixel rectangles, nested: halo, class colour,
class colour, halo, drawn per (colour, state) group with one ``drawRects`` call each. Measured
with ``bench/bench_spectrogram_view.py --boxes 1000``.
"""

from __future__ import annotations

from collections import defaultdict, deque

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPen, QPixmap

from model.project.records import LabelState

HANDLE_PX = 6.0
_STYLE = {
    LabelState.PRESENT: Qt.PenStyle.SolidLine,
    LabelState.UNCERTAIN: Qt.PenStyle.DashLine,
    LabelState.ABSENT: Qt.PenStyle.DotLine,
}


def luminance(colour: QColor) -> float:
    return 0.299 * colour.red() + 0.587 * colour.green() + 0.114 * colour.blue()


def halo(colour: QColor) -> QColor:
    """Black around light class colours, white around dark ones: the pair always contrasts,
    whatever the spectrogram shows beneath."""
    return QColor(0, 0, 0, 200) if luminance(colour) > 140 else QColor(255, 255, 255, 190)


def ink(colour: QColor) -> QColor:
    return QColor("black") if luminance(colour) > 150 else QColor("white")


class Pens:
    """One-pixel pens per colour and state, made once (a pen per box per paint adds up)."""

    def __init__(self) -> None:
        self._pens: dict[tuple[str, LabelState], tuple[QPen, QPen]] = {}

    def get(self, colour: str, state: LabelState) -> tuple[QPen, QPen]:
        key = (colour, state)
        if key not in self._pens:
            edge = QColor(colour)
            edge.setAlpha(240)
            halo_pen = QPen(halo(QColor(colour)), 0)
            edge_pen = QPen(edge, 0, _STYLE[state])
            self._pens[key] = (halo_pen, edge_pen)
        return self._pens[key]


def outline_groups(
    painter: QPainter,
    groups: dict[tuple[str, LabelState], list[QRect]],
    pens: Pens,
    dense: bool = False,
) -> None:
    """Two-pixel class-colour outlines between one-pixel halos, one ``drawRects`` per layer;
    ``dense`` (hundreds of boxes on screen): one-pixel outlines with the outer halo only."""
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for (colour, state), rects in groups.items():
        halo_pen, edge_pen = pens.get(colour, state)
        painter.setPen(halo_pen)
        painter.drawRects([r.adjusted(-1, -1, 1, 1) for r in rects])
        if not dense:
            inner = [r.adjusted(2, 2, -2, -2) for r in rects if r.width() > 5 and r.height() > 5]
            if inner:
                painter.drawRects(inner)
        painter.setPen(edge_pen)
        painter.drawRects(rects)
        if not dense:
            painter.drawRects([r.adjusted(1, 1, -1, -1) for r in rects if r.width() > 2])


def thick_outline(
    painter: QPainter, rect: QRect, colour: QColor, state: LabelState, width: int
) -> None:
    """One box with a heavier outline (the selected one, the one being drawn)."""
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(halo(colour), 0))
    painter.drawRect(rect.adjusted(-1, -1, 1, 1))
    painter.drawRect(rect.adjusted(width, width, -width, -width))
    edge = QPen(colour, 0, _STYLE[state])
    painter.setPen(edge)
    for i in range(width):
        painter.drawRect(rect.adjusted(i, i, -i, -i))


def handles(painter: QPainter, rect: QRect, colour: QColor) -> None:
    painter.setPen(QPen(halo(colour), 0))
    painter.setBrush(QBrush(colour))
    h = HANDLE_PX
    xs = (rect.left(), rect.center().x(), rect.right())
    ys = (rect.top(), rect.center().y(), rect.bottom())
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            if i != 1 or j != 1:
                painter.drawRect(QRectF(x - h / 2, y - h / 2, h, h))


class TagPlacer:
    """Remembers the tags drawn in this paint so that a new one never covers another.

    Tags come left to right (boxes go by start) and all have one height, so they are kept as
    (top, left, right) in buckets by row and only the neighbouring rows are searched; a tag
    ending left of the newest can meet no later one, so it leaves the front of its bucket. The
    selected box's tag is taken first, wherever it is: the others keep clear of it.
    """

    def __init__(self, height: int) -> None:
        self.height = max(height, 1)
        self._rows: dict[int, deque[tuple[float, float, float]]] = defaultdict(deque)

    def free(self, left: float, top: float, right: float) -> bool:
        row = int(top // self.height)
        for key in (row - 1, row, row + 1):
            bucket = self._rows.get(key)
            if not bucket:
                continue
            while bucket and bucket[0][2] <= left:
                bucket.popleft()
            for other_top, other_left, other_right in bucket:
                if other_left < right and other_right > left and abs(other_top - top) < self.height:
                    return False
        return True

    def take(self, left: float, top: float, right: float) -> None:
        self._rows[int(top // self.height)].append((top, left, right))


def paint_tag(
    painter: QPainter,
    metrics: QFontMetrics,
    tag: QRectF,
    colour: QColor,
    text: str,
    state: LabelState,
) -> None:
    label = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(tag.width()) - 8)
    if len(label) < 2:
        return
    if state is LabelState.ABSENT:
        painter.setBrush(QColor(20, 20, 20, 215))
        painter.setPen(QPen(colour, 0))
        text_colour = QColor(colour).lighter(160)
    else:
        solid = QColor(colour)
        solid.setAlpha(230)
        painter.setBrush(solid)
        painter.setPen(QPen(halo(colour), 0))
        text_colour = ink(colour)
    painter.drawRect(tag)
    painter.setPen(text_colour)
    painter.drawText(
        tag.adjusted(4, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label
    )


class TagImages:
    """Tags drawn once into pixmaps and then copied: text layout is most of a tag's cost, and
    a page shows the same few names again and again (a class, its state, its colour)."""

    LIMIT = 512

    def __init__(self, metrics: QFontMetrics, font: QFont) -> None:
        self._metrics, self._font = metrics, font
        self._images: dict[tuple[str, str, LabelState, int, float], QPixmap] = {}

    def draw(
        self,
        painter: QPainter,
        left: float,
        top: float,
        size: tuple[int, int],
        colour: str,
        text: str,
        state: LabelState,
    ) -> None:
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        key = (text, colour, state, size[0], ratio)
        image = self._images.get(key)
        if image is None:
            if len(self._images) >= self.LIMIT:
                self._images.clear()
            image = QPixmap(round(size[0] * ratio) + 1, round(size[1] * ratio) + 1)
            image.setDevicePixelRatio(ratio)
            image.fill(Qt.GlobalColor.transparent)
            inner = QPainter(image)
            inner.setFont(self._font)
            paint_tag(inner, self._metrics, QRectF(0, 0, *size), QColor(colour), text, state)
            inner.end()
            self._images[key] = image
        painter.drawPixmap(QPointF(left, top), image)


def tag_rect(metrics: QFontMetrics, area: QRectF, rect: QRect, text: str) -> QRectF:
    """Where the tag of one box goes (the selected one, the one being drawn): on its top edge,
    outside above it when that stays on the plot, as wide as its text, kept inside the plot."""
    height = metrics.height() + 2
    width = metrics.horizontalAdvance(text) + 12
    top = rect.top() - height if rect.top() - height >= area.top() else rect.top()
    left = max(min(rect.left(), area.right() - width), area.left())
    return QRectF(left, top, width, height)
