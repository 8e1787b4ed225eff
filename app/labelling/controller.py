"""What a click or a label key does to the project: the labelling rules, without widgets.

The controller owns the clip selection and the overlay's contents; the window only routes
signals to it (spectrogram clicks, key actions). Every edit is an undoable command pushed on the
project's undo stack, and the project commits each one before returning, so nothing waits for a
"Save". After any change, wherever it came from (a key, undo, a class rename in the panel),
the overlay is re-read from the database so the picture always shows what is stored.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QObject, Signal

from app.labelling.overlay import LabelOverlay
from app.labelling.selection import Clip, ClipSelection
from model.clips.geometry import ClipGeometry, geometry_of
from model.errors import ProjectError
from model.project import (
    CommandGroup,
    DeleteLabel,
    Label,
    LabelClass,
    LabelState,
    Project,
    Recording,
    SetLabel,
    UndoStack,
)

_STATE_WORDS = {
    LabelState.PRESENT: "present",
    LabelState.ABSENT: "absent",
    LabelState.UNCERTAIN: "uncertain",
}


class BoxTarget(Protocol):
    """A selected time-frequency box that the label keys label instead of the clip."""

    def has_target(self) -> bool: ...
    def apply(self, class_id: int, state: LabelState) -> bool: ...
    def delete(self) -> bool: ...


class LabellingController(QObject):
    """Selection + label edits for the recording on screen."""

    message = Signal(str)  # one line for the status bar
    error = Signal(str, str)  # title, message naming file and cause
    labels_changed = Signal()  # the shown recording's labels were re-read
    active_class_changed = Signal(object)  # class id or None

    def __init__(self, overlay: LabelOverlay, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.overlay = overlay
        self.selection = ClipSelection(self)
        self.selection.changed.connect(self._on_selection)
        self.project: Project | None = None
        self.undo: UndoStack | None = None
        self.recording: Recording | None = None
        self.active_class_id: int | None = None
        self.last_label: tuple[int, LabelState] | None = None
        self._classes: dict[int, LabelClass] = {}
        self._unsubscribe = lambda: None
        self.box_target: BoxTarget | None = None  # the box tool, when the window has one

    # -- context ----------------------------------------------------------------------------
    def set_project(self, project: Project | None, undo: UndoStack | None) -> None:
        self._unsubscribe()
        self.project, self.undo = project, undo
        self._unsubscribe = undo.subscribe(self.refresh) if undo is not None else (lambda: None)
        self.last_label = None
        self.recording = None
        self.selection.set_geometry(geometry_of(project) if project else ClipGeometry())
        self.selection.set_recording_duration(0.0)
        self.refresh()
        classes = list(self._classes.values())
        self.set_active_class(classes[0].id if classes else None)

    def set_recording(self, recording: Recording | None) -> None:
        self.recording = recording
        self.selection.set_recording_duration(recording.duration if recording else 0.0)
        self.refresh()

    def set_snap(self, snap: bool) -> None:
        self.selection.snap = bool(snap)

    def set_active_class(self, class_id: int | None) -> None:
        if class_id is not None and class_id not in self._classes:
            class_id = None
        if class_id != self.active_class_id:
            self.active_class_id = class_id
            self.active_class_changed.emit(class_id)

    def classes(self) -> list[LabelClass]:
        return sorted(self._classes.values(), key=lambda c: (c.position, c.id))

    def class_for_key(self, key: str) -> LabelClass | None:
        return next((c for c in self._classes.values() if c.shortcut == key), None)

    def refresh(self) -> None:
        """Re-reads classes and the shown recording's labels into the overlay."""
        project = self.project
        self._classes = {c.id: c for c in project.classes()} if project else {}
        if self.active_class_id is not None and self.active_class_id not in self._classes:
            self.set_active_class(None)
        if self.last_label is not None and self.last_label[0] not in self._classes:
            self.last_label = None
        labels = (
            project.labels(recording_id=self.recording.id) if project and self.recording else []
        )
        self.overlay.set_labels(labels, self._classes.values())
        self.labels_changed.emit()

    # -- selection --------------------------------------------------------------------------
    def click(self, t: float) -> Clip | None:
        """A click inside an existing label selects that label's clip (to relabel or delete
        it); anywhere else selects the two-second clip centred on the click."""
        if self.recording is None:
            return None
        hits = [la for la in self.overlay.labels() if la.start <= t < la.end]
        if hits:
            nearest = min(hits, key=lambda la: abs((la.start + la.end) / 2 - t))
            self.selection.select_span(nearest.start, nearest.end)
            return self.selection.clip
        return self.selection.select_at(t)

    def move(self, steps: int) -> Clip | None:
        return self.selection.move(steps)

    def labels_on_selection(self) -> list[Label]:
        clip = self.selection.clip
        if clip is None:
            return []
        return [
            la
            for la in self.overlay.labels()
            if abs(la.start - clip.start) < 5e-4 and abs(la.end - clip.end) < 5e-4
        ]

    def _on_selection(self, clip: Clip | None) -> None:
        self.overlay.set_selection(clip)
        if clip is None:
            return
        names = ", ".join(self._describe(la) for la in self.labels_on_selection()) or "no labels"
        self.message.emit(f"Clip {clip.start:.2f}–{clip.end:.2f} s: {names}")

    def _describe(self, label: Label) -> str:
        cls = self._classes.get(label.class_id)
        name = cls.name if cls else "?"
        return name if label.state is LabelState.PRESENT else f"{name} {label.state.value}"

    # -- edits ------------------------------------------------------------------------------
    def _ready(self) -> Clip | None:
        if self.project is None or self.undo is None or self.recording is None:
            self.message.emit("Open a recording first")
            return None
        if self.project.read_only:
            self.message.emit("This project is open read-only; labels cannot be changed")
            return None
        if self.selection.clip is None:
            self.message.emit("Click the spectrogram to select a clip first")
            return None
        return self.selection.clip

    def _push(self, command: object, title: str) -> bool:
        assert self.undo is not None
        try:
            self.undo.push(command)  # type: ignore[arg-type]
        except ProjectError as exc:
            self.error.emit(title, f"File: {exc.path}\nCause: {exc.cause}")
            return False
        return True

    def apply(self, class_id: int, state: LabelState) -> bool:
        """Sets ``state`` for one class on the selected clip; other classes stay."""
        clip = self._ready()
        cls = self._classes.get(class_id)
        if clip is None or cls is None or self.recording is None:
            return False
        if self.box_target is not None and self.box_target.has_target():
            if not self.box_target.apply(class_id, state):
                return False
            self.last_label = (class_id, state)
            self.set_active_class(class_id)
            return True
        command = SetLabel(self.recording.id, clip.start, clip.end, class_id, state)
        if not self._push(command, "Could not save the label"):
            return False
        self.last_label = (class_id, state)
        self.set_active_class(class_id)
        self.message.emit(
            f"{cls.name} {_STATE_WORDS[state]} at {clip.start:.2f}–{clip.end:.2f} s (saved)"
        )
        return True

    def apply_key(self, key: str, state: LabelState) -> bool:
        cls = self.class_for_key(key)
        if cls is None:
            self.message.emit(f'No class uses key "{key}" (set one in the class list)')
            return False
        return self.apply(cls.id, state)

    def mark_uncertain(self) -> bool:
        """``?``: the active class (the last one labelled or picked in the list) is uncertain."""
        if self.active_class_id is None:
            self.message.emit("Pick a class first (its number key or the class list)")
            return False
        return self.apply(self.active_class_id, LabelState.UNCERTAIN)

    def repeat_last(self) -> bool:
        if self.last_label is None:
            self.message.emit("No label to repeat yet")
            return False
        return self.apply(*self.last_label)

    def delete_selected(self) -> int:
        """Removes every label of the selected clip, as one undo step; returns how many."""
        if self._ready() is None:
            return 0
        if self.box_target is not None and self.box_target.has_target():
            return int(self.box_target.delete())
        labels = self.labels_on_selection()
        if not labels:
            self.message.emit("The selected clip has no labels")
            return 0
        commands = [DeleteLabel(la.id) for la in labels]
        command = commands[0] if len(commands) == 1 else CommandGroup("Delete labels", commands)
        if not self._push(command, "Could not delete the labels"):
            return 0
        self.message.emit(f"Deleted {len(labels)} label(s)")
        return len(labels)
