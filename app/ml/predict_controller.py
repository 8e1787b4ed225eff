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
from app.job_queue import JobQueue
from app.jobs import Job
from app.ml.job_control import cancel_within
from model.errors import SonotagError
from model.jobs import Progress

TARGET = "model.ml.predict:predict_job"


class PredictController(QObject):
    busy_changed = Signal(bool)
    message = Signal(str)  # what scoring is doing now, for a status line
    recording_scored = Signal(int)

    def __init__(self, context: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.auto_score_visible = True
        self._running_model: int | None = None
        # The queue mode of the job pattern: one scoring job at a time, requests wait.
        self.queue = JobQueue(self._start, self._not_running, self)
        self.queue.busy_changed.connect(self._on_busy)
        context.project_changed.connect(self._on_project)
        context.recording_changed.connect(lambda _r: self.ensure_visible_scored())
        context.models_changed.connect(self.ensure_visible_scored)

    @property
    def job(self) -> Job | None:
        return self.queue.job

    @property
    def hop(self) -> float:
        """The project's hop: windows are scored where clips snap (``ClipGeometry``)."""
        return self.context.geometry().hop_seconds

    @hop.setter
    def hop(self, seconds: float) -> None:
        self.context.set_hop(seconds)

    @property
    def busy(self) -> bool:
        return self.queue.job is not None

    def queued(self) -> list[int]:
        return list(self.queue.waiting)

    def unfit_reason(self) -> str | None:
        """Why the active model cannot score this project (a class it knows was deleted or
        renamed, other clip settings), or None. Checked before a job starts, from the
        manifest, so a model that no longer fits never reaches the worker: there it failed
        once per recording opened, each failure an error box."""
        from model.ml.bundle import check_compatible
        from model.ml.features import clip_settings_of

        project = self.context.project
        active = project.active_model() if project is not None else None
        if active is None:
            return None
        manifest = active.manifest or {}
        if not {"classes", "clip_settings"} <= manifest.keys():
            return None  # not this check's to judge: loading the bundle validates it in full
        try:
            check_compatible(manifest, project.classes(), clip_settings_of(project))
        except SonotagError as exc:
            return exc.cause
        return None

    def state_of(self, recording_id: int) -> str:
        """ "scoring" (in the running job), "waiting" (queued) or "" (neither), so a view can
        say what will happen to a recording without scores."""
        if recording_id in self.queue.running:
            return "scoring"
        return "waiting" if recording_id in self.queue.waiting else ""

    # -- requests ----------------------------------------------------------------------------
    def predict(self, recording_ids: Sequence[int] | None = None) -> None:
        """Scores these recordings (None: the whole project), the shown one first."""
        project = self.context.project
        if project is None:
            return
        if recording_ids is None:  # the id column: no Recording object per recording
            ids = project.recording_columns().ids.tolist()
        else:
            ids = list(recording_ids)
        visible = self._visible_id()
        if visible in ids:
            ids.remove(visible)
            ids.insert(0, visible)
        self.queue.add(ids)

    def predict_visible(self) -> None:
        visible = self._visible_id()
        if visible is not None:
            self.queue.add([visible], front=True)

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
            if visible in self.queue.waiting or (
                visible in self.queue.running and self._running_model == active.id
            ):
                return
            starts, _, _ = project.predictions(active.id, visible)
        except SonotagError as exc:
            self.context.error.emit(str(exc), "")
            return
        if len(starts) == 0:
            self.queue.add([visible], front=True)

    def cancel(self) -> None:
        """Drops the queue and stops the running job (recordings already scored keep scores)."""
        self.queue.clear()
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

    def _not_running(self, ids: list[int]) -> list[int]:
        """Requests the running job covers already (same, still active model) need not wait."""
        project = self.context.project
        if not self.queue.running or project is None:
            return ids
        active = project.active_model()
        if active is None or active.id != self._running_model:
            return ids
        running = set(self.queue.running)  # not the list: 100,000 ids against 100,000
        return [i for i in ids if i not in running]

    def _start(self, batch: list[int]) -> Job | None:
        project = self.context.project
        if project is None or not batch:
            return None
        active = project.active_model()
        if active is None:
            self.queue.clear()
            self.message.emit("No model to score with yet: train one first.")
            return None
        if project.read_only:
            self.queue.clear()
            self.message.emit("The project is open read-only: scores cannot be stored.")
            return None
        unfit = self.unfit_reason()
        if unfit is not None:
            self.queue.clear()
            self.message.emit(f"Model “{active.name}” cannot score this project: {unfit}")
            return None
        self._running_model = active.id
        job = self.context.run_process(
            f"Scoring {len(batch)} recording(s) with {active.name}",
            TARGET,
            project_path=str(project.path),
            recording_ids=list(batch),
            model_id=active.id,
            hop=float(self.hop),
        )
        job.progress.connect(self._on_progress)
        job.finished.connect(self._on_finished)
        job.failed.connect(self._on_failed)
        job.cancelled.connect(lambda: self.message.emit("Scoring cancelled."))
        self.message.emit(f"Scoring {len(batch)} recording(s)…")
        return job

    def _on_busy(self, busy: bool) -> None:
        if not busy:
            self._running_model = None
        self.busy_changed.emit(busy)

    def _on_progress(self, progress: Progress) -> None:
        if progress.message:
            self.message.emit(progress.message)
        scored = progress.data.get("scored_recording")
        if scored is not None:  # delivered only while the job's project is the open one
            self.context.predictions_changed.emit(int(scored))
            self.recording_scored.emit(int(scored))

    def _on_finished(self, result: dict[str, Any]) -> None:
        skipped = result.get("skipped") or []
        engine = f" on {result['engine']}" if result.get("engine") else ""
        text = f"Scored {len(result.get('scored', []))} recording(s){engine}."
        if skipped:
            text += f" Skipped {len(skipped)} that could not be read: " + "; ".join(skipped[:3])
        self.message.emit(text)
        self.context.status.emit(text)

    def _on_failed(self, message: str, detail: str) -> None:
        self.message.emit(f"Scoring failed: {message}")
        self.context.error.emit(message, detail)

    def _on_project(self, _project: object) -> None:
        self.queue.clear()
        if self.job is not None:
            cancel_within(self.job, parent=self)
