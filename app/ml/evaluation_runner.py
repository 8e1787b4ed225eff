"""Measures a freshly trained model on held-out folds, after it is already scoring.

The training job saves the model and hands back what its evaluation needs; this runs
``model.ml.evaluation:evaluate_model_job`` as a process job (``JobRunner.run_process``, like
training) right after, so the score tracks never wait for the folds. A newer training stops it
first: the figures of a model that was just replaced are not worth the wait, and the training
then gets the warm worker process (TensorFlow already imported) instead of a fresh one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.context import AppContext
from app.jobs import Job
from app.ml.job_control import cancel_within
from model.jobs import Progress

TARGET = "model.ml.evaluation:evaluate_model_job"


class EvaluationRunner(QObject):
    """One evaluation at a time; the Training panel shows its progress and figures."""

    progress = Signal(int, object)  # model id, model.jobs.Progress
    finished = Signal(object)  # the job's result: model_id, name, metrics, seconds
    failed = Signal(int, str)  # model id, message
    stopped = Signal(int)  # model id: cancelled, its figures stay "pending"

    def __init__(self, context: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.job: Job | None = None
        self.model_id: int | None = None
        self.project_path: str | None = None  # of the last evaluation started
        self._after: list[Callable[[], None]] = []
        self._stopping = False

    @property
    def running(self) -> bool:
        return self.job is not None

    def running_for(self, model_id: int | None) -> bool:
        return self.job is not None and model_id is not None and self.model_id == model_id

    def start(self, project_path: str, request: dict[str, Any]) -> Job:
        """Measures the model the request names (a training result's ``evaluation``)."""
        if self.job is not None:
            raise RuntimeError("an evaluation is already running")
        model_id = int(request["model_id"])
        job = self.context.run_process(
            "Measuring the model on held-out recordings", TARGET,
            project_path=project_path, **request,
        )  # fmt: skip
        self.job, self.model_id, self.project_path = job, model_id, project_path
        job.progress.connect(lambda p: self._on_progress(model_id, p))
        job.finished.connect(self.finished.emit)
        job.failed.connect(lambda message, _detail: self._on_failed(model_id, message))
        job.cancelled.connect(lambda: self.stopped.emit(model_id))
        job.ended.connect(self._on_ended)
        return job

    def stop(self, then: Callable[[], None] | None = None) -> None:
        """Cancels the running evaluation (its worker ends within two seconds); ``then`` runs
        once it has, or at once when nothing runs."""
        if then is not None:
            if self.job is None:
                then()
                return
            self._after.append(then)
        if self.job is not None and not self._stopping:
            self._stopping = True
            cancel_within(self.job, parent=self)

    def _on_progress(self, model_id: int, progress: Progress) -> None:
        self.progress.emit(model_id, progress)

    def _on_failed(self, model_id: int, message: str) -> None:
        if self._stopping:  # the worker was ended after the grace period: a stop, not a fault
            self.stopped.emit(model_id)
        else:
            self.failed.emit(model_id, message)

    def _on_ended(self) -> None:
        self.job, self.model_id, self._stopping = None, None, False
        after, self._after = self._after, []
        for callback in after:
            callback()
