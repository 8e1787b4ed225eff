"""Label bands and the selected clip, drawn over the spectrogram in one graphics item.

One item instead of a ``LinearRegionItem`` + ``TextItem`` per label: an hour of recording holds
1,800 clips, and a thousand items slow pyqtgraph's scene down. The item paints in device pixels
(the painter's transform is reset) so class names stay crisp and unstretched at any zoom, and it
draws only the labels inside the visible time range.

How a label looks says its state at a glance: present = translucent fill in the class colour,
uncertain = fainter fill with a dashed edge and "?" before the name, absent = hatched, with
"✗" before the name (a real negative: "not this species"). Several labels on one clip stack their
name tags in rows at the top of the band; a name is shortened ("European st…") to fit its band,
never written over the next clip.

Class colours are chosen by the user and colour maps by the user too, so a band's colour can
match the spectrogram under it (the palette's blue over viridis): every edge and tag gets a thin
halo of black or white, whichever contrasts with the class colour, and stays readable on any map.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPen

from app.labelling.selection import Clip
from app.view_item import ViewFillingItem
from model.project.records import Label, LabelClass, LabelState

_FILL_ALPHA = {LabelState.PRESENT: 70, LabelState.UNCERTAIN: 40, LabelState.ABSENT: 0}


def _lanes(labels: list[Label]) -> list[int]:
    """Row of each label's name tag: the lowest row free at its start (labels sorted by start),
    so tags of labels that share or overlap a clip never cover each other."""
    ends: list[float] = []
    lanes = []
    for label in labels:
        for lane, end in enumerate(ends):
            if end <= label.start + 1e-6:
                ends[lane] = label.end
                lanes.append(lane)
                break
        else:
            ends.append(label.end)
            lanes.append(len(ends) - 1)
    return lanes


def _tag_text(name: str, state: LabelState) -> str:
    if state is LabelState.UNCERTAIN:
        return f"? {name}"
    if state is LabelState.ABSENT:
        return f"\u2717 {name}"  # a ballot X: "not this"
    return name


def _luminance(colour: QColor) -> float:
    return 0.299 * colour.red() + 0.587 * colour.green() + 0.114 * colour.blue()


def _text_colour(colour: QColor) -> QColor:
    return QColor("black") if _luminance(colour) > 150 else QColor("white")


def halo_colour(colour: QColor) -> QColor:
    """Black around light class colours, white around dark ones: the pair always contrasts,
    whatever the spectrogram shows beneath."""
    return QColor(0, 0, 0, 190) if _luminance(colour) > 140 else QColor(255, 255, 255, 170)


def _on_dark(colour: QColor) -> QColor:
    """The class colour lightened until it reads on the dark tag of an absent label."""
    light = QColor(colour)
    for _ in range(8):
        if _luminance(light) >= 150:
            break
        light = QColor(
            (light.red() + 255) // 2, (light.green() + 255) // 2, (light.blue() + 255) // 2
        )
    return light


class LabelOverlay(ViewFillingItem):
    """Set labels with ``set_labels``, the selection with ``set_selection``; x is seconds."""

    def __init__(self) -> None:
        super().__init__()
        self._labels: list[Label] = []
        self._starts: list[float] = []
        self._lanes: list[int] = []
        self._max_length = 0.0
        self._classes: dict[int, LabelClass] = {}
        self._selection: Clip | None = None
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # clicks go to the spectrogram
        self.setZValue(20)
        font = QFont()
        font.setPointSizeF(max(font.pointSizeF(), 8.0))
        font.setBold(True)
        self._font = font

    # -- data -------------------------------------------------------------------------------
    def set_labels(self, labels: Iterable[Label], classes: Iterable[LabelClass]) -> None:
        self._classes = {c.id: c for c in classes}
        position = {c.id: c.position for c in self._classes.values()}
        self._labels = sorted(labels, key=lambda la: (la.start, position.get(la.class_id, 0)))
        self._starts = [label.start for label in self._labels]
        self._lanes = _lanes(self._labels)
        self._max_length = max((la.end - la.start for la in self._labels), default=0.0)
        self.update()

    def labels(self) -> list[Label]:
        return list(self._labels)

    def set_selection(self, clip: Clip | None) -> None:
        self._selection = clip
        self.update()

    def visible_labels(self, t0: float, t1: float) -> list[tuple[Label, int]]:
        """Labels overlapping [t0, t1] with their tag row; binary search keeps paints cheap."""
        first = bisect_left(self._starts, t0 - self._max_length)
        out = []
        for index in range(first, len(self._labels)):
            label = self._labels[index]
            if label.start > t1:
                break
            if label.end >= t0:
                out.append((label, self._lanes[index]))
        return out

    def tag_row_height(self) -> int:
        """Pixels between rows of name tags (tests find the tags by it)."""
        return QFontMetrics(self._font).height() + 4

    # -- QGraphicsItem ----------------------------------------------------------------------
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
        metrics = QFontMetrics(self._font)
        row = self.tag_row_height()

        def px(t: float) -> float:
            return transform.map(QPointF(t, view.top())).x()

        for label, lane in self.visible_labels(view.left(), view.right()):
            cls = self._classes.get(label.class_id)
            colour = QColor(cls.colour if cls else "#888888")
            x0, x1 = sorted((px(label.start), px(label.end)))
            band = QRectF(x0, area.top(), max(x1 - x0, 1.0), area.height())
            self._paint_band(painter, band, colour, label.state)
            name = _tag_text(cls.name if cls else f"class {label.class_id}", label.state)
            tag = QRectF(x0 + 2, area.top() + 2 + lane * row, max(x1 - x0 - 4, 1.0), row - 2)
            self._paint_tag(painter, metrics, tag, colour, name, label.state)

        if self._selection is not None:
            x0, x1 = sorted((px(self._selection.start), px(self._selection.end)))
            rect = QRectF(x0, area.top() + 1, max(x1 - x0, 1.0), area.height() - 2)
            painter.setBrush(QColor(255, 255, 255, 28))
            painter.setPen(QPen(QColor(0, 0, 0, 200), 4))
            painter.drawRect(rect)
            painter.setPen(QPen(QColor(255, 255, 255), 2))
            painter.drawRect(rect)
        painter.restore()

    @staticmethod
    def _paint_band(painter: QPainter, band: QRectF, colour: QColor, state: LabelState) -> None:
        fill = QColor(colour)
        fill.setAlpha(_FILL_ALPHA[state])
        if state is LabelState.ABSENT:
            hatch = QColor(colour)
            hatch.setAlpha(110)
            painter.setBrush(QBrush(hatch, Qt.BrushStyle.BDiagPattern))
        else:
            painter.setBrush(fill)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRect(band)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(halo_colour(colour), 3.5))  # under the edge: 1 px either side
        painter.drawRect(band)
        edge = QColor(colour)
        edge.setAlpha(230)
        style = Qt.PenStyle.SolidLine if state is LabelState.PRESENT else Qt.PenStyle.DashLine
        painter.setPen(QPen(edge, 1.5, style))
        painter.drawRect(band)

    @staticmethod
    def _paint_tag(
        painter: QPainter,
        metrics: QFontMetrics,
        tag: QRectF,
        colour: QColor,
        name: str,
        state: LabelState,
    ) -> None:
        solid = QColor(colour)
        solid.setAlpha(235)
        if state is LabelState.ABSENT:
            painter.setBrush(QColor(20, 20, 20, 215))
            painter.setPen(QPen(solid, 1.5))
            text_colour = _on_dark(colour)
        else:
            painter.setBrush(solid)
            painter.setPen(QPen(halo_colour(colour), 1.0))
            text_colour = _text_colour(colour)
        painter.drawRect(tag)
        text = metrics.elidedText(name, Qt.TextElideMode.ElideRight, int(tag.width()) - 6)
        if len(text) < 2:  # "…" alone says nothing: the colour of the tag has to do
            return
        painter.setPen(text_colour)
        painter.drawText(
            tag.adjusted(3, 0, -3, 0),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            text,
        )
