"""The key legend: every class with its key, colour, how many clips say present / absent and
how many boxes it has, always on screen above the spectrogram.

The F1 sheet and the class list (in a dock that may be behind another tab) are not where a
labeller looks while pressing keys. The legend is one compact, wrapping row of chips; clicking a
chip makes that class the current one (what ``?`` marks uncertain and the navigation keys look
for). Counts are for the whole project and never re-read per key press: they are read once when
a project opens (one ``GROUP BY``), then each edit, undo or redo adds the change its command
reports (``UndoStack.last_delta``); only a command that cannot say is followed by a recount.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QLayout, QLayoutItem, QSizePolicy, QWidget

from model.project.commands import BOXES
from model.project.records import LabelClass, LabelState

if TYPE_CHECKING:
    from model.project import Project, UndoStack


class FlowLayout(QLayout):
    """Left-to-right rows that wrap: Qt has none built in (its docs ship one as an example)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt API
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt API
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt API
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt API
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt API
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt API
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt API
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt API
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _place(self, rect: QRect, *, move: bool) -> int:
        x, y, row = rect.x(), rect.y(), 0
        gap = self.spacing()
        for item in self._items:
            if item.widget() is not None and item.widget().isHidden():
                continue
            hint = item.sizeHint()
            if x + hint.width() > rect.right() + 1 and row > 0:
                x, y, row = rect.x(), y + row + gap, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + gap
            row = max(row, hint.height())
        return y + row - rect.y()


GLYPHS = {LabelState.PRESENT: "✓", LabelState.ABSENT: "✗", LabelState.UNCERTAIN: "?"}
BOX_GLYPH = "▭"  # the class's time-frequency boxes (shown once it has any)
NAME_PX = 150  # a longer name is shortened (the tooltip has it whole)


class KeyChip(QWidget):
    """[1] ■ Great Tit ✓12 ✗3 — one class; a click makes it the current class."""

    clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cls: LabelClass | None = None
        self.counts: dict[LabelState, int] = {}
        self.boxes = 0
        self.active = False
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def show_class(
        self, cls: LabelClass, counts: dict[LabelState, int], active: bool, boxes: int = 0
    ) -> None:
        changed = (cls, counts, active, boxes) != (self.cls, self.counts, self.active, self.boxes)
        self.cls, self.counts, self.active, self.boxes = cls, dict(counts), active, boxes
        if changed:
            self.setToolTip(self._tooltip())
            self.updateGeometry()
            self.update()

    def count_text(self) -> str:
        parts = [f"✓{self.counts.get(LabelState.PRESENT, 0)}"]
        parts.append(f"✗{self.counts.get(LabelState.ABSENT, 0)}")
        if self.counts.get(LabelState.UNCERTAIN):
            parts.append(f"?{self.counts[LabelState.UNCERTAIN]}")
        if self.boxes:
            parts.append(f"{BOX_GLYPH}{self.boxes}")
        return " ".join(parts)

    def name_text(self) -> str:
        assert self.cls is not None
        return self.fontMetrics().elidedText(self.cls.name, Qt.TextElideMode.ElideRight, NAME_PX)

    def _tooltip(self) -> str:
        cls = self.cls
        if cls is None:
            return ""
        key = (
            f"key {cls.shortcut} marks it present, Shift+{cls.shortcut} absent"
            if cls.shortcut
            else "no key yet (Key… in the class list gives it one)"
        )
        counts = ", ".join(f"{self.counts.get(state, 0)} {state.value}" for state in LabelState)
        boxes = f"\nTime-frequency boxes: {self.boxes}." if self.boxes else ""
        return (
            f"{cls.name}: {key}.\nClips in the project: {counts}.{boxes}\n"
            "Click: make it the current class."
        )

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        if self.cls is None:
            return QSize(0, 0)
        metrics = self.fontMetrics()
        width = 6 + self._key_px() + 4 + 10 + 4 + metrics.horizontalAdvance(self.name_text())
        width += 6 + metrics.horizontalAdvance(self.count_text()) + 6
        return QSize(width, metrics.height() + 6)

    def _key_px(self) -> int:
        return self.fontMetrics().horizontalAdvance("0") + 8

    def paintEvent(self, event: object) -> None:  # noqa: N802 - Qt API
        cls = self.cls
        if cls is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        rect = self.rect().adjusted(0, 0, -1, -1)
        if self.active:
            painter.setPen(QPen(palette.highlight().color(), 2))
            painter.setBrush(palette.highlight().color().lighter(185))
        else:
            painter.setPen(QPen(palette.mid().color(), 1))
            painter.setBrush(palette.base().color())
        painter.drawRoundedRect(rect, 4, 4)
        metrics = self.fontMetrics()
        h = rect.height()
        x = 6
        key = QRect(x, 3, self._key_px(), h - 5)
        painter.setPen(QPen(palette.text().color(), 1))
        painter.setBrush(palette.button().color())
        painter.drawRoundedRect(key, 3, 3)
        painter.drawText(key, Qt.AlignmentFlag.AlignCenter, cls.shortcut or "–")
        x = key.right() + 5
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(cls.colour))
        painter.drawRect(QRect(x, (h - 10) // 2 + 1, 10, 10))
        x += 14
        painter.setPen(palette.text().color())
        name = self.name_text()
        painter.drawText(
            QRect(x, 0, metrics.horizontalAdvance(name), h), Qt.AlignmentFlag.AlignVCenter, name
        )
        x += metrics.horizontalAdvance(name) + 6
        painter.setPen(palette.placeholderText().color())
        counts = self.count_text()
        painter.drawText(
            QRect(x, 0, metrics.horizontalAdvance(counts), h), Qt.AlignmentFlag.AlignVCenter, counts
        )
        painter.end()

    def mousePressEvent(self, event: object) -> None:  # noqa: N802 - Qt API
        if self.cls is not None:
            self.clicked.emit(self.cls.id)


class KeyLegend(QWidget):
    """The chips of all classes, in class order, wrapping over as many rows as they need."""

    class_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("key-legend")
        self.flow = FlowLayout(self, spacing=4)
        self.chips: list[KeyChip] = []
        self.project: Project | None = None
        self.undo: UndoStack | None = None
        self.classes: list[LabelClass] = []
        self.tally: Counter[tuple[int, str]] = Counter()
        self.active: int | None = None
        self.recounts = 0  # full recounts so far (tests check edits do not cause them)
        self._unsubscribe = lambda: None
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.hide()

    def set_project(self, project: Project | None, undo: UndoStack | None) -> None:
        self._unsubscribe()
        self.project, self.undo = project, undo
        self._unsubscribe = undo.subscribe(self._on_change) if undo is not None else (lambda: None)
        self._recount()
        self._refresh()

    def set_active(self, class_id: int | None) -> None:
        if class_id != self.active:
            self.active = class_id
            self._refresh()

    def counts(self, class_id: int) -> dict[LabelState, int]:
        return {state: self.tally.get((class_id, state.value), 0) for state in LabelState}

    def boxes(self, class_id: int) -> int:
        return self.tally.get((class_id, BOXES), 0)

    def _recount(self) -> None:
        self.tally = self.project.label_tally() if self.project is not None else Counter()
        self.recounts += 1

    def _on_change(self) -> None:
        delta = self.undo.last_delta if self.undo is not None else None
        if delta is None:
            self._recount()
        else:
            self.tally.update(delta)
        self._refresh()

    def _refresh(self) -> None:
        self.classes = self.project.classes() if self.project is not None else []
        while len(self.chips) < len(self.classes):
            chip = KeyChip(self)
            chip.clicked.connect(self.class_clicked)
            self.flow.addWidget(chip)
            self.chips.append(chip)
        for chip, cls in zip(self.chips, self.classes, strict=False):  # spare chips hide
            chip.show_class(cls, self.counts(cls.id), cls.id == self.active, self.boxes(cls.id))
            chip.show()
        for chip in self.chips[len(self.classes) :]:
            chip.hide()
        self.setVisible(bool(self.classes))
        self.flow.invalidate()
