"""Drawing, selecting, moving, labelling and deleting time-frequency boxes.

Shift+drag on the spectrogram draws a box; a class key then labels it (present, Shift+key
absent, ``?`` uncertain, ``R`` the last label), which is the moment it is stored: one command,
one undo step. Esc (or a click elsewhere) drops a drawn box nobody labelled. A click inside a box
selects it; a drag inside the selected box moves it and a drag on its edge or corner resizes it,
each drag one ``EditBox``; the class keys relabel it and Delete removes it. Plain drags
elsewhere still pan, so the gestures people already use are untouched.

A selected box is also the selected time span (``ClipSelection.select_span``), so Space plays
the box (band-passed to its band when playback band-pass is on) and the label keys reach this
controller through ``LabellingController.box_target``. Selecting a clip anywhere else drops the
box selection. After any edit, undo or redo, the boxes are re-read from the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal

from app.labelling.box_drag import Limits, Mode, big_enough, dragged, grab, rounded
from app.labelling.boxes import BoxOverlay, BoxRect
from app.labelling.controller import LabellingController
from app.labelling.selection import Clip
from app.spectrogram import SpectrogramView
from model.errors import ProjectError
from model.project import (
    AddBox,
    Box,
    DeleteBox,
    EditBox,
    LabelState,
    Project,
    Recording,
    UndoStack,
    band_text,
    describe_box,
)

_CURSORS = {
    frozenset({"start"}): Qt.CursorShape.SizeHorCursor,
    frozenset({"end"}): Qt.CursorShape.SizeHorCursor,
    frozenset({"low"}): Qt.CursorShape.SizeVerCursor,
    frozenset({"high"}): Qt.CursorShape.SizeVerCursor,
    frozenset({"start", "high"}): Qt.CursorShape.SizeFDiagCursor,
    frozenset({"end", "low"}): Qt.CursorShape.SizeFDiagCursor,
    frozenset({"start", "low"}): Qt.CursorShape.SizeBDiagCursor,
    frozenset({"end", "high"}): Qt.CursorShape.SizeBDiagCursor,
}


@dataclass
class _Drag:
    mode: Mode
    anchor: tuple[float, float]
    original: BoxRect
    edges: frozenset[str]


class BoxController(QObject):
    """The box tool of the spectrogram; also its ``DragTool`` and the labeller's box target."""

    message = Signal(str)
    error = Signal(str, str)

    def __init__(
        self,
        overlay: BoxOverlay,
        spectrogram: SpectrogramView,
        labelling: LabellingController,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.overlay = overlay
        self.spectrogram = spectrogram
        self.labelling = labelling
        self.project: Project | None = None
        self.undo: UndoStack | None = None
        self.recording: Recording | None = None
        self.selected_id: int | None = None
        self.pending: BoxRect | None = None  # drawn, waiting for a class key
        self._drag: _Drag | None = None
        self._syncing = False
        self._cursor: Qt.CursorShape | None = None
        self._unsubscribe = lambda: None
        spectrogram.view_box.set_drag_tool(self)
        spectrogram.cursor_moved.connect(lambda t, f, _db: self.hover(t, f))
        labelling.box_target = self
        labelling.selection.changed.connect(self._on_selection)

    # -- context ----------------------------------------------------------------------------
    def set_project(self, project: Project | None, undo: UndoStack | None) -> None:
        self._unsubscribe()
        self.project, self.undo = project, undo
        self._unsubscribe = undo.subscribe(self.refresh) if undo is not None else (lambda: None)
        self.set_recording(None)

    def set_recording(self, recording: Recording | None) -> None:
        self.recording = recording
        self._drop_target()
        self.refresh()

    def refresh(self) -> None:
        """Re-reads the shown recording's boxes; a selected box that is gone is let go, one
        that moved (undo of a move) takes the selected span with it."""
        project, rec = self.project, self.recording
        boxes = project.boxes(recording_id=rec.id) if project and rec else []
        classes = project.classes() if project else []
        self.overlay.set_boxes(boxes, classes)
        if self.selected_id is None:
            return
        box = next((b for b in boxes if b.id == self.selected_id), None)
        if box is None:
            self._drop_target()
            self.labelling.selection.clear()
        else:
            self._sync_span(box.start, box.end)

    def selected_box(self) -> Box | None:
        return next((b for b in self.overlay.boxes() if b.id == self.selected_id), None)

    # -- selection --------------------------------------------------------------------------
    def click(self, t: float, f: float) -> bool:
        """Selects the smallest box under the click; False (the click is the clip selector's)
        when there is none."""
        hits = self.overlay.boxes_at(t, f) if self.recording is not None else []
        if not hits:
            return False
        self.select(hits[0].id)
        return True

    def select(self, box_id: int) -> None:
        box = next((b for b in self.overlay.boxes() if b.id == box_id), None)
        if box is None:
            return
        self.pending = None
        self.overlay.set_draft(None)
        self.selected_id = box.id
        self.overlay.set_selected(box.id)
        self._sync_span(box.start, box.end)
        self.message.emit(
            f"Box {self._describe(box)}: drag it to move, its edges to resize, a class key "
            "relabels, Delete removes"
        )

    def has_target(self) -> bool:
        """A box is selected or waits for its class: the label keys are for it."""
        return self.selected_id is not None or self.pending is not None

    def cancel(self) -> None:
        """Esc: drops a drawn box nobody labelled (a selected box stays selected)."""
        if self.pending is not None:
            self._drop_target()
            self.labelling.selection.clear()
            self.message.emit("Box dropped")

    def _drop_target(self) -> None:
        self.selected_id, self.pending, self._drag = None, None, None
        self.overlay.set_selected(None)
        self.overlay.set_draft(None)

    def _sync_span(self, start: float, end: float) -> None:
        """Makes the box's time span the selected span (Space plays it), without the clip
        outline over the whole height: the box outline says it better."""
        self._syncing = True
        try:
            self.labelling.selection.select_span(start, end)
        finally:
            self._syncing = False
        self.labelling.overlay.set_selection(None)

    def _on_selection(self, clip: Clip | None) -> None:
        if self._syncing or not self.has_target():
            return
        rect = self.pending if self.pending is not None else self._selected_rect()
        same = (
            clip is not None
            and rect is not None
            and abs(clip.start - rect.start) < 1e-3
            and abs(clip.end - rect.end) < 1e-3
        )
        if not same:
            self._drop_target()
        else:
            self.labelling.overlay.set_selection(None)

    def _selected_rect(self) -> BoxRect | None:
        box = self.selected_box()
        return None if box is None else BoxRect.of(box)

    # -- DragTool ---------------------------------------------------------------------------
    def _limits(self) -> Limits | None:
        if self.recording is None or self.project is None:
            return None
        px_s, px_hz = self.spectrogram.view_box.viewPixelSize()
        nyquist = self.recording.sample_rate / 2.0
        return Limits(self.recording.duration, nyquist, abs(px_s), abs(px_hz))

    def drag_start(self, t: float, f: float, modifiers: Qt.KeyboardModifier) -> bool:
        limits = self._limits()
        if limits is None:
            return False
        anchor = (limits.clamp_t(t), limits.clamp_f(f))
        if modifiers & Qt.KeyboardModifier.ShiftModifier:
            point = BoxRect(anchor[0], anchor[0], anchor[1], anchor[1])
            self._drag = _Drag(Mode.DRAW, anchor, point, frozenset())
            return True
        rect = self.pending if self.pending is not None else self._selected_rect()
        grabbed = grab(rect, t, f, limits) if rect is not None else None
        if rect is None or grabbed is None:
            return False
        mode, edges = grabbed
        self._drag = _Drag(mode, (t, f), rect, edges)
        return True

    def drag_move(self, t: float, f: float) -> None:
        drag, limits = self._drag, self._limits()
        if drag is None or limits is None:
            return
        rect = dragged(drag.mode, drag.original, drag.edges, drag.anchor, (t, f), limits)
        if drag.mode is Mode.DRAW or self.pending is not None:
            self.overlay.set_draft(rect, unlabelled=True)
        else:
            self.overlay.set_draft(rect, replaces=self.selected_id)

    def drag_finish(self, t: float, f: float) -> None:
        drag, limits = self._drag, self._limits()
        self._drag = None
        if drag is None or limits is None:
            return
        rect = dragged(drag.mode, drag.original, drag.edges, drag.anchor, (t, f), limits)
        if not big_enough(rect, limits):  # a slip of the hand: back to how it was
            self.overlay.set_draft(self.pending, unlabelled=True)
            if drag.mode is Mode.DRAW:
                self.message.emit("Box too small: Shift+drag over the call to draw one")
            return
        rect = rounded(rect)
        if drag.mode is Mode.DRAW or self.pending is not None:
            self._set_pending(rect)
        else:
            self.overlay.set_draft(None)
            self._edit_geometry(rect)

    def _set_pending(self, rect: BoxRect) -> None:
        self.selected_id = None
        self.overlay.set_selected(None)
        self.pending = rect
        self.overlay.set_draft(rect, unlabelled=True)
        self._sync_span(rect.start, rect.end)
        self.message.emit(
            f"Box {rect.start:.2f}–{rect.end:.2f} s, {band_text(rect.low_hz, rect.high_hz)}: "
            "press a class key to label it (Shift+key absent, ? uncertain), Esc drops it"
        )

    def _edit_geometry(self, rect: BoxRect) -> None:
        box = self.selected_box()
        if box is None or rect == BoxRect.of(box):
            return
        command = EditBox(
            box.id, start=rect.start, end=rect.end, low_hz=rect.low_hz, high_hz=rect.high_hz
        )
        if self._push(command, "Could not move the box"):
            self.message.emit(f"{command.text} (saved)")

    # -- hover ------------------------------------------------------------------------------
    def hover(self, t: float, f: float) -> None:
        """Faint fill on the box under the mouse; resize and move cursors on the selected one."""
        if self._drag is not None:
            return
        hits = self.overlay.boxes_at(t, f)
        self.overlay.set_hover(hits[0].id if hits else None)
        limits = self._limits()
        rect = self.pending if self.pending is not None else self._selected_rect()
        grabbed = grab(rect, t, f, limits) if rect is not None and limits is not None else None
        cursor = None
        if grabbed is not None:
            mode, edges = grabbed
            cursor = _CURSORS.get(edges, Qt.CursorShape.SizeAllCursor)
        self._set_cursor(cursor)

    def _set_cursor(self, cursor: Qt.CursorShape | None) -> None:
        if cursor == self._cursor:
            return
        self._cursor = cursor
        viewport = self.spectrogram.graphics.viewport()
        if cursor is None:
            viewport.unsetCursor()
        else:
            viewport.setCursor(cursor)

    # -- label keys (through LabellingController.box_target) ---------------------------------
    def apply(self, class_id: int, state: LabelState) -> bool:
        """Labels the drawn box (storing it) or relabels the selected one."""
        if self.project is None or self.recording is None:
            return False
        if self.pending is not None:
            r = self.pending
            command = AddBox(
                self.recording.id, r.start, r.end, r.low_hz, r.high_hz, class_id, state
            )
            if not self._push(command, "Could not save the box"):
                return False
            assert command.result is not None
            self.select(command.result.id)
            self.message.emit(f"{command.text} (saved)")
            return True
        box = self.selected_box()
        if box is None:
            return False
        if (box.class_id, box.state) == (class_id, LabelState(state)):
            self.message.emit(f"Box is already {self._describe(box)}")
            return True
        command = EditBox(box.id, class_id=class_id, state=state)
        if not self._push(command, "Could not relabel the box"):
            return False
        self.message.emit(f"{command.text} (saved)")
        return True

    def delete(self) -> bool:
        if self.pending is not None:
            self.cancel()
            return True
        box = self.selected_box()
        if box is None:
            return False
        if not self._push(DeleteBox(box.id), "Could not delete the box"):
            return False
        self.message.emit(f"Deleted box {self._describe(box)}")
        return True

    def _push(self, command: object, title: str) -> bool:
        if self.undo is None or self.project is None:
            return False
        if self.project.read_only:
            self.message.emit("This project is open read-only; boxes cannot be changed")
            return False
        try:
            self.undo.push(command)  # type: ignore[arg-type]
        except ProjectError as exc:
            self.error.emit(title, f"File: {exc.path}\nCause: {exc.cause}")
            return False
        return True

    def _describe(self, box: Box) -> str:
        cls = next((c for c in self.labelling.classes() if c.id == box.class_id), None)
        return describe_box(box, cls.name if cls else f"class {box.class_id}")

    def band_for_playback(self) -> tuple[float, float] | None:
        """The selected or drawn box's band, for band-pass playback of the box."""
        rect = self.pending if self.pending is not None else self._selected_rect()
        return None if rect is None else (rect.low_hz, rect.high_hz)

    @staticmethod
    def sheet_rows() -> list[tuple[str, str, str]]:
        return [
            ("Box", "Shift+drag", "draw a time–frequency box; then a class key labels it"),
            ("Box", "click a box", "select it (Space plays it, band-passed when that is on)"),
            ("Box", "drag the selected box", "move it; drag an edge or corner to resize"),
            ("Box", "digit / Shift+digit / ? / R", "label the box present / absent / uncertain"),
            ("Box", "Delete", "delete the selected box"),
            ("Box", "Esc", "drop a drawn box before it is labelled"),
        ]
