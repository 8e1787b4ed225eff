"""The state every panel shares: open project, undo stack, current recording, job runner.

Panels (training, review, activity, ...) receive one ``AppContext`` and subscribe to its signals
instead of reaching into the main window, so each panel can be built and tested on its own
(napari's viewer-model idea, in small).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.jobs import JobRunner

if TYPE_CHECKING:
    from model.project import Project, Recording, UndoStack


class AppContext(QObject):
    project_changed = Signal(object)  # Project | None
    recording_changed = Signal(object)  # Recording | None
    labels_changed = Signal()  # any label edit, undo or redo
    predictions_changed = Signal(int)  # recording id whose scores were (re)written
    models_changed = Signal()  # a model was added/removed/activated
    error = Signal(str, str)  # message naming file + cause, detail (shown in the error dialog)
    status = Signal(str)  # a short status-bar message

    def __init__(self, jobs: JobRunner | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs if jobs is not None else JobRunner(self)
        self.project: Project | None = None
        self.undo_stack: UndoStack | None = None
        self.recording: Recording | None = None
        self._unsubscribe = None

    def set_project(self, project: Project | None) -> None:
        from model.project import UndoStack

        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.project = project
        self.recording = None
        self.undo_stack = UndoStack(project) if project is not None else None
        if self.undo_stack is not None:
            self._unsubscribe = self.undo_stack.subscribe(self.labels_changed.emit)
        self.project_changed.emit(project)
        self.recording_changed.emit(None)

    def set_recording(self, recording: Recording | None) -> None:
        self.recording = recording
        self.recording_changed.emit(recording)
