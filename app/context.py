"""The state every panel shares: open project, undo stack, current recording, job runner.

Panels (training, review, activity, ...) receive one ``AppContext`` and subscribe to its signals
instead of reaching into the main window, so each panel can be built and tested on its own
(napari's viewer-model idea, in small).

Jobs about the project go through ``run_thread``/``run_process`` here: each gets the project's
path, is bound to this opening of it (``generation`` counts openings), and is cancelled when
the window moves to another project; a result that still arrives is dropped, not delivered.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from app.jobs import Job, JobRunner
from model.errors import SonotagError
from model.jobs import JobFunction

if TYPE_CHECKING:
    from model.clips.geometry import ClipGeometry
    from model.project import Project, Recording, UndoStack


class AppContext(QObject):
    project_changed = Signal(object)  # Project | None
    recording_changed = Signal(object)  # Recording | None
    labels_changed = Signal()  # any label edit, undo or redo
    predictions_changed = Signal(int)  # recording id whose scores were (re)written
    models_changed = Signal()  # a model was added/removed/activated
    error = Signal(str, str)  # message naming file + cause, detail (shown in the error dialog)
    status = Signal(str)  # a short status-bar message
    geometry_changed = Signal(object)  # the project's ClipGeometry (clip length, hop)
    clock_changed = Signal()  # recordings were dated again (the zone of file names changed)

    def __init__(self, jobs: JobRunner | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs if jobs is not None else JobRunner(self)
        self.project: Project | None = None
        self.undo_stack: UndoStack | None = None
        self.recording: Recording | None = None
        self.generation = 0  # which opening of a project this is; jobs are bound to it
        self._bound: set[Job] = set()
        self._unsubscribe = None

    # ----------------------------------------------------------------- jobs
    def binding(self) -> Callable[[], bool]:
        """True while the project open now is still the one open when this was called."""
        generation = self.generation
        return lambda: self.generation == generation

    def _bind(self, job: Job) -> Job:
        job.bind(self.binding())
        self._bound.add(job)
        job.ended.connect(lambda: self._bound.discard(job))
        path = self.project.path if self.project is not None else None
        killed: list[int] = []
        job.killed.connect(killed.append)
        # After ``ended`` the killed process has been reaped: its leftovers are a dead one's.
        job.ended.connect(lambda: [self._forget_worker(path, pid) for pid in killed])
        return job

    def run_thread(self, title: str, function: JobFunction, *args: Any, **kwargs: Any) -> Job:
        """A thread job for the open project (pass ``project.path``, never the project)."""
        return self._bind(self.jobs.run_thread(title, function, *args, **kwargs))

    def run_process(self, title: str, target: str, **kwargs: Any) -> Job:
        """A process job for the open project (pass ``project_path=str(project.path)``)."""
        return self._bind(self.jobs.run_process(title, target, **kwargs))

    def bound_jobs(self) -> list[Job]:
        return list(self._bound)

    def _forget_worker(self, path: Path | None, pid: int) -> None:
        """A worker ended on purpose holds no crash: its open-session row goes, so the next
        opening needs no whole-file check, and whatever it had half-saved is removed."""
        if path is None:
            return
        from model.ml.bundle_commit import sweep
        from model.project import Project

        try:
            with Project.open(path, deep_check=False) as project:
                project.forget_session(pid)
                sweep(project)
        except (SonotagError, OSError):
            pass  # the project is gone or read-only: the check after opening will run, no harm

    # ----------------------------------------------------------------- state
    def set_project(self, project: Project | None) -> None:
        from model.project import UndoStack

        self.generation += 1
        for job in list(self._bound):  # jobs never outlive the project they were started for
            job.cancel_within()
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

    def geometry(self) -> ClipGeometry:
        """Clip length and hop of the open project (defaults with none open)."""
        from model.clips.geometry import ClipGeometry, geometry_of

        return geometry_of(self.project) if self.project is not None else ClipGeometry()

    def set_hop(self, hop_seconds: float) -> None:
        """Stores the project's hop (the grid clips snap to and windows are scored on)."""
        from model.clips.geometry import set_hop

        if self.project is None or self.project.read_only:
            return
        if abs(self.geometry().hop_seconds - hop_seconds) > 1e-9:
            self.geometry_changed.emit(set_hop(self.project, hop_seconds))

    def set_recording(self, recording: Recording | None) -> None:
        self.recording = recording
        self.recording_changed.emit(recording)
