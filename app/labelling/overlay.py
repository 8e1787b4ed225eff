"""Labels over the spectrogram: a thin band of name tags at the top, the calls left in view.

One item instead of a ``LinearRegionItem`` + ``TextItem`` per label: an hour of recording holds
1,800 clips, and a thousand items slow pyqtgraph's scene down. The item paints in device pixels
(the painter's transform is reset) so class names stay crisp at any zoom, and it draws only the
labels inside the visible time range.

The spectrogram itself is not washed over: a label is a tag in a band along the top edge, as
wide as its clip (``tags.py`` decides rows, grouping and runs). Hovering a tag (or its bar in the
label lanes) fills and outlines that clip over the whole height; the selected clip is outlined.
A box layer (time-frequency boxes) can sit on the same plot: this item paints nothing below the
tag band unless a clip is hovered or selected.

How a tag looks says its state: present = solid class colour, uncertain = paler with a dashed
edge and "?" before the name, absent = dark with a coloured edge and "✗" (a real negative).
Several classes on one clip share one dark tag: a colour chip per class, then the first name.
Every tag gets a thin halo of black or white, whichever contrasts with its colour, so it reads
on any colour map.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen, QPixmap

from app.labelling.colours import halo_colour, on_dark, readable_on
from app.labelling.selection import Clip
from app.labelling.tags import (
    MAX_ROWS,
    MIN_TAG_PX,
    ClipGroup,
    describe,
    fit_tag_text,
    group_by_clip,
    rows_of,
    run_bounds,
    stripe_segments,
    tag_text,
)
from app.view_item import ViewFillingItem
from model.project.records import Label, LabelClass, LabelState

_DARK = QColor(20, 20, 20, 215)
#: Tag pixmaps kept (one per clip and width; a screen shows a few dozen).
MAX_CACHED_TAGS = 4000
_HOVER_ALPHA = 55


@dataclass(frozen=True)
class Hit:
    """A painted tag or run: where it is (device pixels) and what it stands for."""

    rect: QRectF
    start: float
    end: float
    colour: QColor
    tooltip: str  # for a run; a clip's tag says what it holds when hovered (``group``)
    text: str = ""  # what is written on it ("" for chips or a bare run)
    name: str = ""  # the name it stands for, before shortening
    group: ClipGroup | None = None


class LabelOverlay(ViewFillingItem):
    """Set labels with ``set_labels``, the selection with ``set_selection``; x is seconds."""

    hovered = Signal(object)  # (start, end) of the clip whose tag is under the mouse, or None

    def __init__(self) -> None:
        super().__init__()
        self._labels: list[Label] = []
        self._groups: list[ClipGroup] = []
        self._starts: list[float] = []
        # per group, as arrays for the paint: start, end, label count, first class
        self._start_arr = self._end_arr = np.zeros(0)
        self._count_arr = self._class_arr = np.zeros(0, np.int64)
        self._colours: dict[int, QColor] = {}
        self._rows: list[int] = []
        self._max_length = 0.0
        self._classes: dict[int, LabelClass] = {}
        self._selection: Clip | None = None
        # What is lit: a tag under the mouse here, or a bar under the mouse in the label lanes
        # (another plot: this item sees the mouse leave when it goes there).
        self._tag_hover: tuple[float, float] | None = None
        self._tag_colour = QColor("#ffffff")
        self._lane_hover: tuple[float, float] | None = None
        self._lane_colour = QColor("#ffffff")
        self._hits: list[Hit] = []
        self._tag_cache: dict[tuple[int, int, int, float], tuple[QPixmap, str]] = {}
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # clicks go to the spectrogram
        self.setAcceptHoverEvents(True)
        self.setZValue(20)
        font = QFont()
        font.setPointSizeF(max(font.pointSizeF() - 1, 8.0))
        font.setBold(True)
        self._font = font
        self._row_height = QFontMetrics(font).height() + 4

    # -- data -------------------------------------------------------------------------------
    def set_labels(self, labels: Iterable[Label], classes: Iterable[LabelClass]) -> None:
        self._classes = {c.id: c for c in classes}
        position = {c.id: c.position for c in self._classes.values()}
        self._labels = sorted(labels, key=lambda la: (la.start, position.get(la.class_id, 0)))
        self._groups = group_by_clip(self._labels, position)
        self._starts = [g.start for g in self._groups]
        self._start_arr = np.array(self._starts, np.float64)
        self._end_arr = np.array([g.end for g in self._groups], np.float64)
        self._count_arr = np.array([len(g.labels) for g in self._groups], np.int64)
        self._class_arr = np.array([g.labels[0].class_id for g in self._groups], np.int64)
        self._colours = {c.id: QColor(c.colour) for c in self._classes.values()}
        self._rows = rows_of(self._groups)
        self._max_length = max((g.end - g.start for g in self._groups), default=0.0)
        self._tag_cache.clear()
        self.update()

    def labels(self) -> list[Label]:
        return list(self._labels)

    def rows_needed(self) -> int:
        """Tag rows the labels would take without a cap (the lanes show what does not fit)."""
        return max(self._rows, default=-1) + 1

    def set_selection(self, clip: Clip | None) -> None:
        self._selection = clip
        self.update()

    def set_hover(self, span: tuple[float, float] | None, colour: str | None = None) -> None:
        """Fills and outlines ``span`` (from the label lanes' hover); None clears."""
        if span != self._lane_hover:
            self._lane_hover = span
            self._lane_colour = QColor(colour or "#ffffff")
            self.update()

    def hover_span(self) -> tuple[float, float] | None:
        """The clip lit by the mouse (a tag here, or a bar in the lanes)."""
        return self._lane_hover if self._lane_hover is not None else self._tag_hover

    def _visible(self, t0: float, t1: float) -> np.ndarray:
        """Indices of the clips overlapping [t0, t1]: a binary search, then one array test."""
        first = bisect_left(self._starts, t0 - self._max_length)
        last = bisect_left(self._starts, t1, lo=first)
        return first + np.flatnonzero(self._end_arr[first:last] > t0)

    def tag_row_height(self) -> int:
        """Pixels between rows of name tags (tests find the tags by it)."""
        return self._row_height

    def hits(self) -> list[Hit]:
        """The tags and runs of the last paint (tests read what was drawn where)."""
        return list(self._hits)

    def _name(self, class_id: int) -> str:
        cls = self._classes.get(class_id)
        return cls.name if cls else f"class {class_id}"

    def _colour(self, class_id: int) -> QColor:
        return self._colours.get(class_id) or QColor("#888888")

    # -- hover ------------------------------------------------------------------------------
    def hoverEvent(self, ev: object) -> None:  # noqa: N802 - pyqtgraph API
        hit = None
        if not ev.isExit():  # type: ignore[attr-defined]
            widget = self.getViewWidget()
            if widget is not None:
                point = QPointF(widget.mapFromScene(ev.scenePos()))  # type: ignore[attr-defined]
                hit = next((h for h in self._hits if h.rect.contains(point)), None)
        span = (hit.start, hit.end) if hit is not None else None
        if hit is None:
            self.setToolTip("")
        else:
            group = hit.group
            self.setToolTip(describe(group, self._name) if group is not None else hit.tooltip)
        if span != self._tag_hover:
            self._tag_hover = span
            if hit is not None:
                self._tag_colour = hit.colour
            self.update()
            self.hovered.emit(span)

    # -- painting ---------------------------------------------------------------------------
    def paint(self, painter: QPainter, *args: object) -> None:
        view = self.viewRect()
        if view is None or view.width() <= 0:
            return
        transform = painter.transform()
        area = transform.mapRect(view).normalized()  # plot area in device pixels
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setFont(self._font)

        # seconds -> device x is linear (the plot is not rotated): two numbers, not a map()
        origin = transform.map(QPointF(0.0, view.top())).x()
        scale = transform.map(QPointF(1.0, view.top())).x() - origin

        def px(t: float) -> float:
            return origin + scale * t

        for span, colour in (
            (self._tag_hover, self._tag_colour),
            (self._lane_hover, self._lane_colour),
        ):
            if span is not None:
                self._paint_span(painter, area, px, span, colour, hover=True)
        if self._selection is not None:
            span = (self._selection.start, self._selection.end)
            self._paint_span(painter, area, px, span, QColor("white"), hover=False)
        self._hits = []
        shown = self._visible(view.left(), view.right())
        xa = origin + scale * self._start_arr[shown]
        xb = origin + scale * self._end_arr[shown]
        lo, hi = np.minimum(xa, xb), np.maximum(xa, xb)
        narrow = hi - lo < MIN_TAG_PX
        for index, x0, x1 in zip(
            shown[~narrow].tolist(), lo[~narrow].tolist(), hi[~narrow].tolist(), strict=True
        ):
            if self._rows[index] < MAX_ROWS:
                self._paint_group(painter, area, index, self._rows[index], x0, x1)
        order = np.argsort(lo[narrow], kind="stable")  # by x even on a mirrored axis
        indices, lo, hi = shown[narrow][order], lo[narrow][order], hi[narrow][order]
        for first, last in run_bounds(lo, hi):
            self._paint_run(painter, area, indices[first:last], lo[first:last], hi[first:last])
        painter.restore()

    def _paint_span(
        self,
        painter: QPainter,
        area: QRectF,
        px: object,
        span: tuple[float, float],
        colour: QColor,
        *,
        hover: bool,
    ) -> None:
        x0, x1 = sorted((px(span[0]), px(span[1])))  # type: ignore[operator]
        rect = QRectF(x0, area.top() + 1, max(x1 - x0, 1.0), area.height() - 2)
        fill = QColor(colour)
        fill.setAlpha(_HOVER_ALPHA if hover else 28)
        painter.setBrush(fill)
        if hover:
            painter.setPen(QPen(halo_colour(colour), 3.5))
            painter.drawRect(rect)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(colour, 1.5))
        else:
            painter.setPen(QPen(QColor(0, 0, 0, 200), 4))
            painter.drawRect(rect)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(255, 255, 255), 2))
        painter.drawRect(rect)

    def _tag_rect(self, area: QRectF, row: int, x0: float, x1: float) -> QRectF:
        height = self._row_height
        left, right = max(x0, area.left()), min(x1, area.right())
        return QRectF(
            left + 1, area.top() + 2 + row * height, max(right - left - 2, 1.0), height - 2
        )

    def _paint_group(
        self, painter: QPainter, area: QRectF, index: int, row: int, x0: float, x1: float
    ) -> None:
        """One clip's tag, from a pixmap made once per clip and width: scrolling at one zoom
        then costs one ``drawPixmap`` a tag instead of a dozen rectangles and an elision."""
        group = self._groups[index]
        tag = self._tag_rect(area, row, x0, x1)
        width, height = max(round(tag.width()), 1), max(round(tag.height()), 1)
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        key = (index, width, height, ratio)
        cached = self._tag_cache.get(key)
        if cached is None:
            if len(self._tag_cache) >= MAX_CACHED_TAGS:
                self._tag_cache.clear()
            cached = self._tag_cache[key] = self._render_tag(group, width, height, ratio)
        pixmap, text = cached
        painter.drawPixmap(QPointF(tag.left(), tag.top()), pixmap)
        first = group.labels[0]
        full = tag_text(self._name(first.class_id), first.state)
        colour = self._colour(first.class_id)
        self._hits.append(Hit(tag, group.start, group.end, colour, "", text, full, group))

    def _render_tag(
        self, group: ClipGroup, width: int, height: int, ratio: float
    ) -> tuple[QPixmap, str]:
        pixmap = QPixmap(max(int(width * ratio + 0.5), 1), max(int(height * ratio + 0.5), 1))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setFont(self._font)
        tag = QRectF(0.75, 0.75, width - 1.5, height - 1.5)  # the edge pen stays inside
        first = group.labels[0]
        colour = self._colour(first.class_id)
        single = len(group.labels) == 1
        if single and first.state is not LabelState.ABSENT:
            fill = QColor(colour)
            fill.setAlpha(235 if first.state is LabelState.PRESENT else 150)
            style = (
                Qt.PenStyle.SolidLine if first.state is LabelState.PRESENT else Qt.PenStyle.DashLine
            )
            painter.setBrush(fill)
            painter.setPen(QPen(halo_colour(colour), 1.0, style))
            text_colour = readable_on(colour)
        else:
            painter.setBrush(_DARK)
            # the class colour lightened: it must read on the dark tag and on any map around it
            painter.setPen(QPen(on_dark(colour) if single else QColor(230, 230, 230, 200), 1.5))
            text_colour = on_dark(colour) if single else QColor("#f0f0f0")
        painter.drawRect(tag)
        left = tag.left() + 3
        if not single:
            left = self._paint_chips(painter, group, tag)
        metrics = painter.fontMetrics()
        room = int(tag.right() - 3 - left)
        text = fit_tag_text(
            self._name(first.class_id),  # the chips say the rest
            first.state,
            room,
            lambda t, r: metrics.elidedText(t, Qt.TextElideMode.ElideRight, int(r)),
        )
        if text:
            painter.setPen(text_colour)
            painter.drawText(
                QRectF(left, tag.top(), room, tag.height()),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                text,
            )
        painter.end()
        return pixmap, text

    def _paint_chips(self, painter: QPainter, group: ClipGroup, tag: QRectF) -> float:
        """A square per class of the clip; when they do not all fit, as many as do and "+N"
        for the rest. Returns where the name may start."""
        size = max(tag.height() - 6, 4.0)
        metrics = painter.fontMetrics()
        labels = group.labels
        room = tag.width() - 6
        fit = len(labels)
        while fit > 0 and fit * (size + 2) > room:
            fit -= 1
        if fit < len(labels):  # leave room for "+N" after the chips shown
            while (
                fit > 0
                and fit * (size + 2) + metrics.horizontalAdvance(f"+{len(labels) - fit}") > room
            ):
                fit -= 1
        x = tag.left() + 3
        for label in labels[:fit]:
            colour = self._colour(label.class_id)
            chip = QRectF(x, tag.top() + 3, size, size)
            if label.state is LabelState.ABSENT:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(QPen(on_dark(colour), 1.5))
            else:
                fill = QColor(colour)
                fill.setAlpha(255 if label.state is LabelState.PRESENT else 140)
                painter.setBrush(fill)
                painter.setPen(QPen(halo_colour(colour), 1.0))
            painter.drawRect(chip)
            x += size + 2
        if fit < len(labels):
            more = f"+{len(labels) - fit}"
            painter.setPen(QColor("#f0f0f0"))
            painter.drawText(
                QRectF(x, tag.top(), metrics.horizontalAdvance(more) + 2, tag.height()),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                more,
            )
            return tag.right()  # no room left for a name
        return x + 1

    def _paint_run(
        self, painter: QPainter, area: QRectF, indices: np.ndarray, lo: np.ndarray, hi: np.ndarray
    ) -> None:
        """Narrow clips merged: a dark tag with a stripe of their colours and their count."""
        right = float(hi.max())
        x0, x1 = max(float(lo[0]), area.left()), min(max(right, float(lo[0]) + 3), area.right())
        tag = self._tag_rect(area, 0, x0, x1)
        painter.setPen(QPen(QColor(230, 230, 230, 160), 1.0))
        painter.setBrush(_DARK)
        painter.drawRect(tag)
        stripe = 3.0
        painter.setPen(Qt.PenStyle.NoPen)
        for a, b, class_id in stripe_segments(lo, hi, self._class_arr[indices]):
            painter.setBrush(self._colour(class_id))
            painter.drawRect(QRectF(a, tag.bottom() - stripe, b - a, stripe))
        count = int(self._count_arr[indices].sum())
        metrics = painter.fontMetrics()
        text = f"{count} labels" if count > 1 else "1 label"
        room = int(tag.width() - 6)
        if metrics.horizontalAdvance(text) > room:
            text = str(count)
        if metrics.horizontalAdvance(text) > room:
            text = ""
        if text:
            painter.setPen(QColor("#f0f0f0"))
            painter.drawText(
                tag.adjusted(3, 0, -3, -stripe),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                text,
            )
        start = float(self._start_arr[indices].min())
        end = float(self._end_arr[indices].max())
        tooltip = (
            f"{count} label(s) on {len(indices)} clip(s), {start:.1f}–{end:.1f} s: "
            "zoom in to read them (the label lanes show each class)"
        )
        self._hits.append(Hit(tag, start, end, QColor("#ffffff"), tooltip, text))
