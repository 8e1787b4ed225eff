"""Mouse gestures of the spectrogram and the plots linked under it.

Wheel zooms time around the cursor, shift+wheel (or a sideways trackpad swipe) pans, ctrl+wheel
zooms frequency, left-drag pans, and a left click that did not move is a click (the main window
selects clips with it). pyqtgraph tells clicks from drags by its own drag threshold, so a shaky
click still counts as a click. All changes go through the view's methods, which clamp to the
recording, so every plot behaves the same.

A ``DragTool`` (the box tool) may claim a left drag when it starts, for instance Shift+drag to
draw a box or a drag on the selected box to move it; drags it does not claim pan as before.
"""

from __future__ import annotations

from typing import Protocol

import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent, MouseDragEvent
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsSceneWheelEvent

#: Zoom factor of one wheel notch (120 units); 0.8 is the feel of Audacity and Raven.
WHEEL_ZOOM = 0.8
#: Fraction of the visible span one notch of shift+wheel pans.
WHEEL_PAN = 0.1


class Navigator(Protocol):
    def view_range(self) -> tuple[float, float]: ...
    def zoom_time(self, factor: float, about: float) -> None: ...
    def pan_time(self, seconds: float) -> None: ...
    def zoom_freq(self, factor: float, about: float) -> None: ...
    def pan_freq(self, hz: float) -> None: ...
    def handle_click(self, t: float, f: float, modifiers: object) -> None: ...


class DragTool(Protocol):
    """Something drawn on the plot that takes some left drags (x = seconds, y = Hz)."""

    def drag_start(self, t: float, f: float, modifiers: Qt.KeyboardModifier) -> bool: ...
    def drag_move(self, t: float, f: float) -> None: ...
    def drag_finish(self, t: float, f: float) -> None: ...


class NavigationViewBox(pg.ViewBox):
    """A view box whose mouse gestures are routed to a ``Navigator`` (the spectrogram view)."""

    def __init__(self, navigator: Navigator, *, clicks: bool = True, freq: bool = True) -> None:
        super().__init__(enableMenu=False)
        self._nav = navigator
        self._clicks = clicks
        self._freq = freq
        self._tool: DragTool | None = None
        self._tool_dragging = False
        self.setMouseEnabled(x=False, y=False)  # pyqtgraph's own handling stays out of it

    def set_drag_tool(self, tool: DragTool | None) -> None:
        self._tool = tool

    def wheelEvent(self, ev: QGraphicsSceneWheelEvent, axis: int | None = None) -> None:
        delta = ev.delta()
        if not delta:
            ev.ignore()
            return
        ev.accept()
        notches = delta / 120.0
        mods = ev.modifiers()
        pos = self.mapSceneToView(ev.scenePos())
        sideways = ev.orientation() == Qt.Orientation.Horizontal
        if mods & Qt.KeyboardModifier.ShiftModifier or sideways:
            t0, t1 = self._nav.view_range()
            self._nav.pan_time(-notches * WHEEL_PAN * (t1 - t0))
        elif mods & Qt.KeyboardModifier.ControlModifier:
            if self._freq:
                self._nav.zoom_freq(WHEEL_ZOOM**notches, pos.y())
        else:
            self._nav.zoom_time(WHEEL_ZOOM**notches, pos.x())

    def mouseDragEvent(self, ev: MouseDragEvent, axis: int | None = None) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        if ev.isStart() and self._tool is not None:
            down = self.mapSceneToView(ev.buttonDownScenePos())
            self._tool_dragging = self._tool.drag_start(down.x(), down.y(), ev.modifiers())
        if self._tool_dragging and self._tool is not None:
            now = self.mapSceneToView(ev.scenePos())
            if ev.isFinish():
                self._tool_dragging = False
                self._tool.drag_finish(now.x(), now.y())
            else:
                self._tool.drag_move(now.x(), now.y())
            return
        before = self.mapSceneToView(ev.lastScenePos())
        now = self.mapSceneToView(ev.scenePos())
        self._nav.pan_time(before.x() - now.x())
        if self._freq:
            self._nav.pan_freq(before.y() - now.y())

    def mouseClickEvent(self, ev: MouseClickEvent) -> None:
        if not self._clicks or ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        pos = self.mapSceneToView(ev.scenePos())
        self._nav.handle_click(pos.x(), pos.y(), ev.modifiers())
