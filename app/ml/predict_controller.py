"""Scoring recordings with the active model in a worker process, the one on screen first.

One job runs at a time; requests that arrive meanwhile wait in a queue and go in the next job,
the shown recording at its head. The rule that keeps the loop label -> retrain -> re-score
closed: whenever the shown recording has no scores from the active model (a model was just
trained or activated, another recording was opened), it is queued. Each recording's scores are
announced (``AppContext.predictions_changed``) as soon as they are stored, not at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.context import AppContext
from app.jobs import Job
from app.ml.job_control import cancel_within
from model.errors import SonotagError
from model.jobs import Progress

TARGET = "model.ml.predict:predict_job"
DEFAULT_HOP_S = 1.0


class PredictController(QObject):
    busy_changed = Signal(bool)
    message = Signal(str)  # what scoring is doing now, for a status line
    recording_scored = Signal(int)

    def __init__(self, context: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.hop = DEFAULT_HOP_S
        self.auto_score_visible = True
        self.job: Job | None = None
        self._queue: list[int] = []
        self._running: list[int] = []
        self._running_model: int | None = None
        self._job_project: str | None = None
        context.project_changed.connect(self._on_project)
        context.recording_changed.connect(lambda _r: self.ensure_visible_scored())
        context.models_changed.connect(self.ensure_visible_scored)

    @property
    def busy(self) -> bool:
        return self.job is not None

    def queued(self) -> list[int]:
        return list(self._queue)

    # -- requests ----------------------------------------------------------------------------
    def predict(self, recording_ids: Sequence[int] | None = None) -> None:
        """Scores these recordings (None: the whole project), the shown one first."""
        project = self.context.project
        if project is None:
            return
        ids = [r.id for r in project.recordings()] if recording_ids is None else list(recording_ids)
        visible = self._visible_id()
        if visible in ids:
            ids.remove(visible)
            ids.insert(0, visible)
        self._enqueue(ids)

    def predict_visible(self) -> None:
        visible = self._visible_id()
        if visible is not None:
            self._enqueue([visible], front=True)

    def after_training(self, result: dict[str, Any], score_all: bool = False) -> None:
        """A model was just trained (and made active): the shown recording first, then the
        rest of the project if asked."""
        if score_all:
            self.predict(None)
        else:
            self.predict_visible()

    def ensure_visible_scored(self) -> None:
        """Queues the shown recording if the active model has no scores for it yet."""
        project, visible = self.context.project, self._visible_id()
        if not self.auto_score_visible or project is None or visible is None:
            return
        try:
            active = project.active_model()
            if active is None:
                return
            if visible in self._queue or (
                visible in self._running and self._running_model == active.id
            ):
                return
            starts, _, _ = project.predictions(active.id, visible)
        except SonotagError as exc:
            self.context.error.emit(str(exc), "")
            return
        if len(starts) == 0:
            self._enqueue([visible], front=True)

    def cancel(self) -> None:
        """Drops the queue and stops the running job (recordings already scored keep scores)."""
        self._queue.clear()
        if self.job is not None:
            cancel_within(self.job, parent=self)

    def forget_model(self, model_id: int) -> None:
        """The model is about to be deleted: stop scoring with it."""
        if self.job is not None and self._running_model == model_id:
            self.cancel()

    # -- running -----------------------------------------------------------------------------
    def _visible_id(self) -> int | None:
        recording = self.context.recording
        return recording.id if recording is not None else None

    def _enqueue(self, ids: Sequence[int], front: bool = False) -> None:
        """Adds ids not already waiting, nor being scored by the running job with the model
        that is still the active one."""
        running: set[int] = set()
        project = self.context.project
        if self._running and project is not None:
            active = project.active_model()
            if active is not None and active.id == self._running_model:
                running = set(self._running)
        fresh = [i for i in dict.fromkeys(ids) if i not in self._queue and i not in running]
        self._queue = fresh + self._queue if front else self._queue + fresh
        if self.job is None and self._queue:
            self._start()

    def _start(self) -> None:
        project = self.context.project
        if project is None or not self._queue:
            return
        active = project.active_model()
        if active is None:
            self._queue.clear()
            self.message.emit("No model to score with yet: train one first.")
            return
        if project.read_only:
            self._queue.clear()
            self.message.emit("The project is open read-only: scores cannot be stored.")
            return
        self._running, self._queue = self._queue, []
        self._running_model = active.id
        self._job_project = str(project.path)
        job = self.context.jobs.run_process(
            f"Scoring {len(self._running)} recording(s) with {active.name}",
            TARGET,
            project_path=str(project.path),
            recording_ids=list(self._running),
            model_id=active.id,
            hop=float(self.hop),
        )
        job.progress.connect(self._on_progress)
        job.finished.connect(self._on_finished)
        job.failed.connect(self._on_failed)
        job.cancelled.connect(lambda: self.message.emit("Scoring cancelled."))
        job.ended.connect(self._on_ended)
        self.job = job
        self.busy_changed.emit(True)
        self.message.emit(f"Scoring {len(self._running)} recording(s)…")

    def _same_project(self) -> bool:
        project = self.context.project
        return project is not None and str(project.path) == self._job_project

    def _on_progress(self, progress: Progress) -> None:
        if progress.message:
            self.message.emit(progress.message)
        scored = progress.data.get("scored_recording")
        if scored is not None and self._same_project():
            self.context.predictions_changed.emit(int(scored))
            self.recording_scored.emit(int(scored))

    def _on_finished(self, result: dict[str, Any]) -> None:
        skipped = result.get("skipped") or []
        text = f"Scored {len(result.get('scored', []))} recording(s)."
        if skipped:
            text += f" Skipped {len(skipped)} that could not be read: " + "; ".join(skipped[:3])
        self.message.emit(text)
        self.context.status.emit(text)

    def _on_failed(self, message: str, detail: str) -> None:
        self.message.emit(f"Scoring failed: {message}")
        self.context.error.emit(message, detail)

    def _on_ended(self) -> None:
        self.job = None
        self._running = []
        self._running_model = None
        self.busy_changed.emit(False)
        if self._queue and self.context.project is not None:
            self._start()

    def _on_project(self, _project: object) -> None:
        self._queue.clear()
        if self.job is not None:
            cancel_within(self.job, parent=self)
