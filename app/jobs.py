"""Runs ``model.jobs`` functions off the GUI thread and turns their reports into Qt signals.

Every long operation in the app goes through ``JobRunner``: thread jobs for I/O-bound or
NumPy-heavy work (spectrogram tiles, import, prediction), process jobs for training. Signals
are delivered on the GUI thread (queued connections), so slots may touch widgets.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from model.errors import SonotagError
from model.jobs import Cancelled, JobFunction, ProcessJob, Progress, Reporter, WorkerProcess


class Job(QObject):
    """Handle on one running job: connect to its signals, call ``cancel()``."""

    progress = Signal(object)  # model.jobs.Progress
    finished = Signal(object)  # the job's return value
    failed = Signal(str, str)  # one-line message naming file and cause, traceback detail
    cancelled = Signal()
    ended = Signal()  # after any of the three above

    def __init__(self, title: str, job_id: int) -> None:
        super().__init__()
        self.title = title
        self.job_id = job_id
        self.last_progress: Progress | None = None
        self._cancel_fn: Callable[[], None] = lambda: None
        self.process: ProcessJob | None = None  # set for process jobs: pid, kill()
        self.progress.connect(self._remember)

    def _remember(self, progress: Progress) -> None:
        self.last_progress = progress

    def cancel(self) -> None:
        self._cancel_fn()

    def kill(self) -> None:
        """Ends a process job's worker at once (it then reports ``failed``); no-op for threads."""
        if self.process is not None:
            self.process.kill()


class _ThreadWorker(QThread):
    def __init__(self, job: Job, function: JobFunction, args: tuple, kwargs: dict) -> None:
        super().__init__()
        self.job = job
        self.reporter = Reporter(job.progress.emit)
        self.function, self.args, self.kwargs = function, args, kwargs
        job._cancel_fn = self.reporter.cancel

    def run(self) -> None:
        import traceback

        try:
            result = self.function(self.reporter, *self.args, **self.kwargs)
        except Cancelled:
            self.job.cancelled.emit()
        except SonotagError as exc:
            self.job.failed.emit(str(exc), traceback.format_exc())
        except Exception as exc:  # noqa: BLE001 - shown to the user, never swallowed
            self.job.failed.emit(f"{type(exc).__name__}: {exc}", traceback.format_exc())
        else:
            self.job.finished.emit(result)
        self.job.ended.emit()


class _ProcessWatcher(QThread):
    """Polls a ``ProcessJob`` from a helper thread so the GUI thread never blocks on it."""

    def __init__(
        self, job: Job, process_job: ProcessJob, on_final: Callable[[], None] | None = None
    ) -> None:
        super().__init__()
        self.job = job
        self.process_job = process_job
        self.on_final = on_final
        job._cancel_fn = process_job.cancel
        job.process = process_job

    def run(self) -> None:
        self.process_job.start()
        while True:
            for event in self.process_job.poll(0.1):
                if event.kind != "progress" and self.on_final is not None:
                    # Free the shared worker before anyone hears the job ended: a slot that
                    # starts the next process job (score after training) should get it.
                    self.on_final()
                if event.kind == "progress":
                    self.job.progress.emit(event.progress)
                elif event.kind == "done":
                    self.job.finished.emit(event.result)
                elif event.kind == "cancelled":
                    self.job.cancelled.emit()
                else:
                    self.job.failed.emit(event.error, event.detail)
            if self.process_job.finished:
                break
        self.job.ended.emit()


# A QThread destroyed while running aborts the process; workers stay referenced here until their
# thread has really finished, whatever happens to the runner or the job handle.
_LIVE_WORKERS: set[QThread] = set()


class JobRunner(QObject):
    """Owns the running jobs; the status bar and dialogs listen to ``started``."""

    started = Signal(object)  # Job

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._workers: dict[int, QThread] = {}
        # One long-lived process for process jobs, so TensorFlow is imported once per session;
        # a second process job while it is busy gets a fresh process of its own.
        self._worker_process = WorkerProcess()
        self._worker_in_use = False

    def _track(self, job: Job, worker: QThread) -> Job:
        self._workers[job.job_id] = worker
        _LIVE_WORKERS.add(worker)
        worker.finished.connect(lambda: self._reap(job.job_id, worker))
        # Start on the next event-loop turn so the caller can connect to the job's signals
        # first; a fast job would otherwise finish before anyone listens.
        QTimer.singleShot(0, worker.start)
        self.started.emit(job)
        return job

    def _reap(self, job_id: int, worker: QThread) -> None:
        self._workers.pop(job_id, None)
        worker.wait()
        _LIVE_WORKERS.discard(worker)

    def run_thread(self, title: str, function: JobFunction, *args: Any, **kwargs: Any) -> Job:
        job = Job(title, next(self._ids))
        return self._track(job, _ThreadWorker(job, function, args, kwargs))

    def run_process(self, title: str, target: str, **kwargs: Any) -> Job:
        job = Job(title, next(self._ids))
        if self._worker_in_use:
            watcher = _ProcessWatcher(job, ProcessJob(target, **kwargs))
        else:
            self._worker_in_use = True
            process_job = self._worker_process.job(target, **kwargs)
            watcher = _ProcessWatcher(job, process_job, self._release_worker)
        return self._track(job, watcher)

    def _release_worker(self) -> None:
        self._worker_in_use = False

    def shutdown(self) -> None:
        """At exit: ends the long-lived worker process (running jobs were cancelled first)."""
        self._worker_process.close()

    def running(self) -> list[QThread]:
        return list(self._workers.values())

    def wait_all(self, timeout_ms: int = 10_000) -> bool:
        """For shutdown and tests: cancel nothing, just wait for the workers to end."""
        return all(worker.wait(timeout_ms) for worker in list(self._workers.values()))
