"""Label lanes: one thin lane per class under the spectrogram, like a label track.

The tag band over the spectrogram says "something is labelled here"; with many classes the
lanes say which: each class that has labels in the shown recording gets a lane with its name,
and each label is a bar in it (present = solid, uncertain = pale, absent = an outline, a real
negative). Overlapping and touching bars of a class merge into one at any zoom, so the whole
file reads as runs, not slivers. Hovering a bar lights its clip on the spectrogram; clicking it
selects that clip.

Shown by the View menu's choice: automatically when the recording's labels come from more
classes (or need more tag rows) than the tag band holds, always, or never. Anything with a
start, an end, a class and a state can be shown (``tags.Span``), not only clip labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QMenu

from app.labelling.colours import halo_colour, on_dark
from app.labelling.tags import MAX_ROWS, Span
from app.settings import LANE_MODES, Preferences
from app.view_item import ViewFillingItem
from model.project.records import LabelClass, LabelState

if TYPE_CHECKING:
    from app.labelling.controller import LabellingController
    from app.labelling.overlay import LabelOverlay
    from app.spectrogram import SpectrogramView

LANE_PX = 12  # a lane's height while the lanes fit in MAX_STRIP_PX
MIN_LANE_PX = 6  # lanes shrink to this before the strip grows past MAX_STRIP_PX
MAX_STRIP_PX = 132  # eleven lanes at full height: the spectrogram keeps the screen
NAMED_LANE_PX = 9  # thinner lanes drop their names (the tooltip still gives them)
#: The strip shows itself (automatic mode) when a recording's labels come from more classes.
AUTO_CLASSES = 3
MODES = LANE_MODES
_STATE_ORDER = {LabelState.PRESENT: 0, LabelState.UNCERTAIN: 1, LabelState.ABSENT: 2}


#: The most of the plots' height the lanes take: with the score lanes' share the spectrogram
#: keeps over half of it, even in a short window with the activity plots open.
STRIP_SHARE = 0.2
FLOOR_LANE_PX = 3  # lanes never thinner than this: a coloured run still reads at 3 px


def strip_px(lanes: int, room: float | None = None) -> int:
    """The lanes' height for ``lanes`` classes; ``room`` (pixels the view allows, see
    ``SpectrogramView.track_room``) squeezes them down to ``FLOOR_LANE_PX`` each."""
    if lanes <= 0:
        return LANE_PX
    want = int(min(lanes * LANE_PX, max(MAX_STRIP_PX, lanes * MIN_LANE_PX)))
    if room is None or room <= 0:
        return want
    return int(max(min(want, room), lanes * FLOOR_LANE_PX))


@dataclass
class Lane:
    """One class's labels, as sorted arrays (seconds) per state."""

    class_id: int
    name: str
    colour: QColor
    starts: dict[LabelState, np.ndarray]
    ends: dict[LabelState, np.ndarray]
    longest: float

    def count(self) -> int:
        return sum(len(a) for a in self.starts.values())

    def at(self, t: float) -> tuple[float, float, LabelState] | None:
        """The label under time ``t`` (present first, then uncertain, then absent)."""
        for state in sorted(self.starts, key=_STATE_ORDER.__getitem__):
            starts, ends = self.starts[state], self.ends[state]
            first = int(np.searchsorted(starts, t - self.longest, side="left"))
            last = int(np.searchsorted(starts, t, side="right"))
            hit = np.flatnonzero(ends[first:last] > t)
            if len(hit):
                i = first + int(hit[0])
                return float(starts[i]), float(ends[i]), state
        return None


def build_lanes(spans: Iterable[Span], classes: Iterable[LabelClass]) -> list[Lane]:
    """A lane per class that has spans, in class order."""
    by_class: dict[int, dict[LabelState, list[tuple[float, float]]]] = {}
    for span in spans:
        by_class.setdefault(span.class_id, {}).setdefault(span.state, []).append(
            (span.start, span.end)
        )
    lanes = []
    for cls in sorted(classes, key=lambda c: (c.position, c.id)):
        states = by_class.get(cls.id)
        if not states:
            continue
        starts, ends, longest = {}, {}, 0.0
        for state, pairs in states.items():
            pairs.sort()
            array = np.asarray(pairs, dtype=np.float64)
            starts[state], ends[state] = array[:, 0].copy(), array[:, 1].copy()
            longest = max(longest, float((array[:, 1] - array[:, 0]).max()))
        lanes.append(Lane(cls.id, cls.name, QColor(cls.colour), starts, ends, longest))
    return lanes


def merged_runs(x0: np.ndarray, x1: np.ndarray, gap: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Pixel intervals (sorted by x0) merged where they overlap or lie within ``gap``."""
    if len(x0) == 0:
        return x0, x1
    reach = np.maximum.accumulate(x1)
    breaks = np.flatnonzero(x0[1:] > reach[:-1] + gap) + 1
    first = np.concatenate(([0], breaks))
    last = np.concatenate((breaks - 1, [len(x0) - 1]))
    return x0[first], reach[last]


class LanesItem(ViewFillingItem):
    """Paints the lanes in device pixels; ``hovered``/``clicked`` carry the label's span."""

    hovered = Signal(object)  # (start, end, colour name) or None
    clicked = Signal(float, float)

    def __init__(self) -> None:
        super().__init__()
        self.lanes: list[Lane] = []
        self.message = ""
        self._area = QRectF()
        self._hover: tuple[float, float, str] | None = None
        self.setAcceptHoverEvents(True)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        font = QFont()
        font.setPointSizeF(7.0)
        self._font = font

    def set_lanes(self, lanes: Sequence[Lane], message: str = "") -> None:
        self.lanes = list(lanes)
        self.message = message
        self.update()

    def lane_px(self) -> float:
        return self._area.height() / len(self.lanes) if self.lanes else 0.0

    # -- mouse ------------------------------------------------------------------------------
    def _label_at(self, ev: object) -> tuple[Lane, tuple[float, float, LabelState]] | None:
        widget = self.getViewWidget()
        if widget is None or not self.lanes or self._area.height() <= 0:
            return None
        point = QPointF(widget.mapFromScene(ev.scenePos()))  # type: ignore[attr-defined]
        index = int((point.y() - self._area.top()) // self.lane_px())
        if not 0 <= index < len(self.lanes):
            return None
        lane = self.lanes[index]
        hit = lane.at(float(ev.pos().x()))  # type: ignore[attr-defined]
        return (lane, hit) if hit is not None else None

    def hoverEvent(self, ev: object) -> None:  # noqa: N802 - pyqtgraph API
        found = None if ev.isExit() else self._label_at(ev)  # type: ignore[attr-defined]
        hover = None
        if found is not None:
            lane, (start, end, state) = found
            hover = (start, end, lane.colour.name())
            self.setToolTip(f"{lane.name}: {state.value}, {start:.2f}–{end:.2f} s (click selects)")
        elif not ev.isExit():  # type: ignore[attr-defined]
            self.setToolTip(self._lane_tooltip(ev))
        if hover != self._hover:
            self._hover = hover
            self.hovered.emit(hover)

    def _lane_tooltip(self, ev: object) -> str:
        widget = self.getViewWidget()
        if widget is None or not self.lanes or self.lane_px() <= 0:
            return ""
        point = QPointF(widget.mapFromScene(ev.scenePos()))  # type: ignore[attr-defined]
        index = int((point.y() - self._area.top()) // self.lane_px())
        if 0 <= index < len(self.lanes):
            lane = self.lanes[index]
            return f"{lane.name}: {lane.count()} label(s) in this recording"
        return ""

    def mouseClickEvent(self, ev: object) -> None:  # noqa: N802 - pyqtgraph API
        found = self._label_at(ev)
        if found is None or ev.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            ev.ignore()  # type: ignore[attr-defined]
            return
        ev.accept()  # type: ignore[attr-defined]
        _lane, (start, end, _state) = found
        self.clicked.emit(start, end)

    # -- painting ---------------------------------------------------------------------------
    def paint(self, painter: QPainter, *args: object) -> None:
        view = self.viewRect()
        if view is None or view.width() <= 0:
            return
        transform = painter.transform()
        area = transform.mapRect(view).normalized()
        self._area = area
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setFont(self._font)
        if not self.lanes:
            if self.message:
                painter.setPen(QColor("#c8c8c8"))
                painter.drawText(
                    area.adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignVCenter, self.message
                )
            painter.restore()
            return
        left_px = transform.map(QPointF(view.left(), 0)).x()
        scale = (transform.map(QPointF(view.right(), 0)).x() - left_px) / view.width()
        height = area.height() / len(self.lanes)
        for index, lane in enumerate(self.lanes):
            top = area.top() + index * height
            if index % 2:
                painter.fillRect(
                    QRectF(area.left(), top, area.width(), height), QColor(255, 255, 255, 12)
                )
            for state in (LabelState.ABSENT, LabelState.UNCERTAIN, LabelState.PRESENT):
                if state in lane.starts:
                    self._paint_state(painter, lane, state, view, left_px, scale, top, height)
        self._paint_names(painter, area, height)
        painter.restore()

    def _paint_state(
        self,
        painter: QPainter,
        lane: Lane,
        state: LabelState,
        view: QRectF,
        left_px: float,
        scale: float,
        top: float,
        height: float,
    ) -> None:
        starts, ends = lane.starts[state], lane.ends[state]
        first = int(np.searchsorted(starts, view.left() - lane.longest, side="left"))
        last = int(np.searchsorted(starts, view.right(), side="right"))
        if last <= first:
            return
        x0 = left_px + (starts[first:last] - view.left()) * scale
        x1 = left_px + (ends[first:last] - view.left()) * scale
        keep = x1 >= left_px
        a, b = merged_runs(x0[keep], x1[keep])
        inset = 1.0 if height >= 5 else 0.0
        bar_top, bar_height = top + inset, max(height - 2 * inset, 1.0)
        colour = QColor(lane.colour)
        if state is LabelState.ABSENT:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(on_dark(colour), 1.0))
        else:
            colour.setAlpha(230 if state is LabelState.PRESENT else 110)
            painter.setBrush(colour)
            painter.setPen(Qt.PenStyle.NoPen)
        widths = np.maximum(b - a, 1.0).tolist()
        painter.drawRects(
            [QRectF(x, bar_top, w, bar_height) for x, w in zip(a.tolist(), widths, strict=True)]
        )

    def _paint_names(self, painter: QPainter, area: QRectF, height: float) -> None:
        if height < NAMED_LANE_PX:
            return
        metrics = QFontMetrics(self._font)
        room = int(max(area.width() * 0.3, 40))
        for index, lane in enumerate(self.lanes):
            top = area.top() + index * height
            name = metrics.elidedText(lane.name, Qt.TextElideMode.ElideRight, room)
            box = QRectF(area.left() + 1, top, metrics.horizontalAdvance(name) + 9, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 150))
            painter.drawRect(box)
            painter.setBrush(lane.colour)
            painter.setPen(QPen(halo_colour(lane.colour), 0.5))
            painter.drawRect(QRectF(box.left(), top + 1, 3, height - 2))
            painter.setPen(QColor("#eeeeee"))
            painter.drawText(box.adjusted(6, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, name)


class LabelLanes(QObject):
    """The lanes plot under a spectrogram and the rule for showing it."""

    changed = Signal()

    def __init__(self, view: SpectrogramView, mode: str = "auto") -> None:
        super().__init__(view)
        self.view = view
        self.mode = mode if mode in MODES else "auto"
        self.plot = view.add_track_plot(LANE_PX)
        self.plot.setMenuEnabled(False)
        self.plot.getAxis("left").setStyle(showValues=False, tickLength=0)
        box = self.plot.getViewBox()
        box.enableAutoRange(y=False)
        box.setYRange(0, 1, padding=0)
        self.item = LanesItem()
        self.plot.addItem(self.item, ignoreBounds=True)
        self._rows_needed = 0
        self._fitting = False
        box.sigResized.connect(lambda *_: self._fit())
        view.room_changed.connect(self._fit)
        view.set_track_visible(self.plot, False)

    @property
    def lanes(self) -> list[Lane]:
        return self.item.lanes

    def set_labels(
        self, spans: Iterable[Span], classes: Iterable[LabelClass], rows: int = 0
    ) -> None:
        """The shown recording's labels; ``rows`` is how many tag rows they need."""
        self._rows_needed = rows
        lanes = build_lanes(spans, classes)
        self.item.set_lanes(lanes, "" if lanes else "No labels in this recording yet")
        self._update()

    def set_mode(self, mode: str) -> None:
        if mode in MODES and mode != self.mode:
            self.mode = mode
            self._update()

    def wanted(self) -> bool:
        if self.mode == "never":
            return False
        if self.mode == "always":
            return True
        return len(self.item.lanes) > AUTO_CLASSES or self._rows_needed > MAX_ROWS

    def _update(self) -> None:
        self.view.set_track_visible(self.plot, self.wanted())
        self._fit()
        self.changed.emit()

    def _fit(self) -> None:
        """Sizes the plot so the lanes get ``strip_px`` (within their share of the view)
        whatever the axis under them takes."""
        if self._fitting or not self.plot.isVisible():
            return
        self._fitting = True
        try:
            want = strip_px(len(self.item.lanes), self.view.track_room(STRIP_SHARE))
            have = float(self.plot.getViewBox().height())
            if have <= 0:
                axis = self.plot.getAxis("bottom")
                self.plot.setFixedHeight(want + (40 if axis.isVisible() else 0))
            elif abs(have - want) >= 1:
                self.plot.setFixedHeight(float(self.plot.height()) + want - have)
        finally:
            self._fitting = False


def connect_lanes(
    controller: LabellingController, overlay: LabelOverlay, lanes: LabelLanes
) -> None:
    """Keeps the lanes on the controller's labels and links hover and clicks both ways."""
    controller.labels_changed.connect(
        lambda: lanes.set_labels(overlay.labels(), controller.classes(), overlay.rows_needed())
    )
    lanes.item.hovered.connect(
        lambda hover: overlay.set_hover(hover[:2] if hover else None, hover[2] if hover else None)
    )
    lanes.item.clicked.connect(lambda start, end: controller.selection.select_span(start, end))


def add_lanes_menu(menu: QMenu, lanes: LabelLanes, prefs: Preferences) -> QMenu:
    """View ▸ Label lanes: automatic, always, never (remembered)."""
    sub = menu.addMenu("Label &lanes under the spectrogram")
    group = QActionGroup(sub)
    texts = {
        "auto": "&Automatic (when labels of many classes are shown)",
        "always": "&Always",
        "never": "&Never",
    }
    for mode in MODES:
        action = sub.addAction(texts[mode])
        action.setCheckable(True)
        action.setChecked(lanes.mode == mode)
        action.setData(mode)
        group.addAction(action)

    def choose(action: QAction) -> None:
        prefs.label_lanes = str(action.data())
        lanes.set_mode(str(action.data()))

    group.triggered.connect(choose)
    return sub
