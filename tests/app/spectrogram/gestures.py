"""Real mouse and wheel events for pyqtgraph widgets (QTest cannot send wheel events)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QGraphicsView

#: pyqtgraph drops mouse moves closer than 10 ms apart (its 100 Hz rate limit); real hands don't.
MOVE_INTERVAL_MS = 12

NoMods = Qt.KeyboardModifier.NoModifier
Left = Qt.MouseButton.LeftButton


def _send(view: QGraphicsView, event: object) -> None:
    QApplication.sendEvent(view.viewport(), event)


def _mouse(kind: object, at: QPoint, buttons: object, mods: object, button: object = Left):
    pos = QPointF(at)
    return QMouseEvent(kind, pos, pos, button, buttons, mods)


def wheel(view: QGraphicsView, at: QPoint, delta: int, mods: object = NoMods) -> None:
    pos = QPointF(at)
    event = QWheelEvent(
        pos, pos, QPoint(0, 0), QPoint(0, delta), Qt.MouseButton.NoButton, mods,
        Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    _send(view, event)


def move(view: QGraphicsView, at: QPoint) -> None:
    _send(view, _mouse(QMouseEvent.Type.MouseMove, at, Qt.MouseButton.NoButton, NoMods,
                       Qt.MouseButton.NoButton))  # fmt: skip


def click(view: QGraphicsView, at: QPoint, mods: object = NoMods) -> None:
    _send(view, _mouse(QMouseEvent.Type.MouseButtonPress, at, Left, mods))
    _send(view, _mouse(QMouseEvent.Type.MouseButtonRelease, at, Qt.MouseButton.NoButton, mods))


def drag(
    view: QGraphicsView, start: QPoint, end: QPoint, steps: int = 8, mods: object = NoMods
) -> None:
    """A left drag, with ``mods`` (e.g. Shift) held all the way."""
    _send(view, _mouse(QMouseEvent.Type.MouseButtonPress, start, Left, mods))
    for i in range(1, steps + 1):
        at = start + (end - start) * (i / steps)
        QTest.qWait(MOVE_INTERVAL_MS)
        _send(view, _mouse(QMouseEvent.Type.MouseMove, at, Left, mods, Qt.MouseButton.NoButton))
    _send(view, _mouse(QMouseEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton, mods))
