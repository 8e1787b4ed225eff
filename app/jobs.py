"""Runs ``model.jobs`` functions off the GUI thread and turns their reports into Qt signals.

One pattern, three modes: ``run_thread`` (I/O-bound or NumPy-heavy work: import, review queue,
activity), ``run_process`` (training, scoring: a crash or out-of-memory ends the worker, not the
app) and ``run_service`` (a long-lived thread fed requests: the spectrogram tiles); the scoring
queue is ``app.job_queue.JobQueue`` on top. Each returns a ``Job`` whose ``ended`` signal fires
exactly once, from a ``finally``, however the job ended (superqt's ``thread_worker`` contract):
a button disabled while a job runs always comes back.

A job started for a project is *bound* to it (``Job.bind``, ``AppContext.run_thread``): it gets
the project's path, never the live ``Project`` (refused here), and its results are dropped, not
delivered, once the window has moved on to another project or another opening of the same one.
"""

from __future__ import annotations

import itertools
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from model.errors import SonotagError
from model.jobs import (
    Cancelled,
    Inbox,
    JobFunction,
    ProcessJob,
    Progress,
    Reporter,
    WorkerProcess,
    check_arguments,
)
from model.jobs.process import DEFAULT_IDLE_S

IDLE_CHECK_MS = 30_000
CANCEL_GRACE_MS = 1000  # plus up to ~0.6 s for the watcher to notice: within the 2 s promised
SAVE_WAIT_MS = 250  # how often a cancel waiting for a save to end looks again


class Job(QObject):
    """Handle on one running job: connect to its signals, call ``cancel()``.

    Worker threads emit the private ``_*_in`` signals; they reach this object on the GUI thread,
    where a stale job's results are dropped before the public signals go out.
    """

    progress = Signal(object)  # model.jobs.Progress
    finished = Signal(object)  # the job's return value
    failed = Signal(str, str)  # one-line message naming file and cause, traceback detail
    cancelled = Signal()
    yielded = Signal(object)  # a service's results, one at a time
    dropped = Signal()  # a result arrived for a project no longer open: not delivered
    killed = Signal(int)  # pid of a worker process ended by ``cancel_within``
    ended = Signal()  # always, once, after any of the above

    _progress_in = Signal(object)
    _finished_in = Signal(object)
    _failed_in = Signal(str, str)
    _cancelled_in = Signal()
    _yielded_in = Signal(object)
    _ended_in = Signal()

    def __init__(self, title: str, job_id: int) -> None:
        super().__init__()
        self.title = title
        self.job_id = job_id
        self.last_progress: Progress | None = None
        self.is_current: Callable[[], bool] = lambda: True
        self.done = False
        self.uninterruptible = False  # the job said its current step must not be cut (a save)
        self._cancel_fn: Callable[[], None] = lambda: None
        self._send_fn: Callable[[Any], None] | None = None
        self.process: ProcessJob | None = None  # set for process jobs: pid, kill()
        # Bound methods of this QObject: queued onto the GUI thread when a worker emits.
        self._progress_in.connect(self._on_progress_in)
        self._finished_in.connect(self._on_finished_in)
        self._failed_in.connect(self._on_failed_in)
        self._cancelled_in.connect(self._on_cancelled_in)
        self._yielded_in.connect(self._on_yielded_in)
        self._ended_in.connect(self._end)

    def bind(self, is_current: Callable[[], bool]) -> Job:
        """Deliver results only while ``is_current()`` holds (the project it was started for
        is still the open one); ``ended`` is delivered regardless."""
        self.is_current = is_current
        return self

    @property
    def stale(self) -> bool:
        return not self.is_current()

    def _deliver(self, emit: Callable[..., None], *args: Any) -> None:
        if self.done:
            return
        if self.is_current():
            emit(*args)
        else:
            self.dropped.emit()

    def _remember(self, progress: Progress) -> None:
        self.last_progress = progress
        self.progress.emit(progress)

    def _on_progress_in(self, progress: Progress) -> None:
        self.uninterruptible = bool(progress.data.get("uninterruptible"))
        self._deliver(self._remember, progress)

    def _on_finished_in(self, result: object) -> None:
        self._deliver(self.finished.emit, result)

    def _on_failed_in(self, message: str, detail: str) -> None:
        self._deliver(self.failed.emit, message, detail)

    def _on_cancelled_in(self) -> None:
        self._deliver(self.cancelled.emit)

    def _on_yielded_in(self, value: object) -> None:
        self._deliver(self.yielded.emit, value)

    def _end(self) -> None:
        if not self.done:
            self.done = True
            self.ended.emit()

    def cancel(self) -> None:
        self._cancel_fn()

    def kill(self) -> None:
        """Ends a process job's worker at once (it then reports ``failed``); no-op for threads."""
        if self.process is not None:
            self.process.kill()

    def cancel_within(self, grace_ms: int = CANCEL_GRACE_MS) -> None:
        """Asks the job to stop, and ends its worker process if it has not after ``grace_ms``.

        A worker only sees a cancel between steps, and some steps (importing TensorFlow,
        building ResNet50) have no boundary for a while; the user was promised that Cancel
        works within two seconds. Ending the worker is safe for the project: every step commits
        on its own and a model is registered in the same transaction that makes its bundle
        visible; while the job reports an ``uninterruptible`` step (saving a model) the kill
        waits for that step to end. Thread jobs only get the request.
        """
        self.cancel()
        process = self.process
        if process is None or self.done:
            return
        timer = QTimer(self)
        timer.setSingleShot(True)

        def end_worker() -> None:
            if process.finished or not process.is_alive():
                return
            if self.uninterruptible:  # saving a model: a short step, let it finish
                timer.start(SAVE_WAIT_MS)
                return
            pid = process.pid
            process.kill()
            if pid is not None:
                self.killed.emit(pid)

        timer.timeout.connect(end_worker)
        self.ended.connect(timer.stop)
        timer.start(grace_ms)

    def send(self, value: Any) -> None:
        """A new request for a service job (replaces one it has not taken yet)."""
        if self._send_fn is None:
            raise RuntimeError(f"{self.title}: only a service job takes requests")
        self._send_fn(value)


def _failure(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, SonotagError):
        return str(exc), traceback.format_exc()
    return f"{type(exc).__name__}: {exc}", traceback.format_exc()


class _ThreadWorker(QThread):
    def __init__(
        self,
        job: Job,
        function: JobFunction,
        args: tuple,
        kwargs: dict,
        inbox: Inbox | None = None,
    ) -> None:
        super().__init__()
        self.job = job
        self.reporter = Reporter(job._progress_in.emit, on_emit=job._yielded_in.emit)
        self.function, self.args, self.kwargs = function, args, kwargs
        self.inbox = inbox
        if inbox is None:
            job._cancel_fn = self.reporter.cancel
        else:
            job._cancel_fn = lambda: (self.reporter.cancel(), inbox.close())
            job._send_fn = inbox.put
            self.args = (inbox, *args)

    def run(self) -> None:
        try:
            result = self.function(self.reporter, *self.args, **self.kwargs)
        except Cancelled:
            self.job._cancelled_in.emit()
        except BaseException as exc:  # noqa: BLE001 - shown to the user, never swallowed
            self.job._failed_in.emit(*_failure(exc))
        else:
            self.job._finished_in.emit(result)
        finally:
            self.job._ended_in.emit()


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
        final_sent = False
        try:
            try:
                self.process_job.start()
            except Exception as exc:  # noqa: BLE001 - spawning failed: say so, end the job
                self.job._failed_in.emit(
                    f"the worker process could not be started ({type(exc).__name__}: {exc})",
                    traceback.format_exc(),
                )
                final_sent = True
                return
            while not self.process_job.finished:
                for event in self.process_job.poll(0.1):
                    if event.kind != "progress":
                        self._free_worker()
                        final_sent = True
                    self._relay(event)
        except BaseException as exc:  # noqa: BLE001 - a bug here must not leave a job hanging
            if not final_sent:
                self.job._failed_in.emit(*_failure(exc))
        finally:
            self.process_job.release()
            self._free_worker()
            self.job._ended_in.emit()

    def _free_worker(self) -> None:
        # Free the shared worker before anyone hears the job ended: a slot that starts the next
        # process job (score after training) should get it.
        if self.on_final is not None:
            on_final, self.on_final = self.on_final, None
            on_final()

    def _relay(self, event: Any) -> None:
        if event.kind == "progress":
            self.job._progress_in.emit(event.progress)
        elif event.kind == "done":
            self.job._finished_in.emit(event.result)
        elif event.kind == "cancelled":
            self.job._cancelled_in.emit()
        else:
            self.job._failed_in.emit(event.error, event.detail)


def refuse_live_project(args: tuple, kwargs: dict[str, Any]) -> None:
    """Jobs get the project's path: a live ``Project`` would be closed under them."""
    from model.project.handle import ProjectHandle

    for value in (*args, *kwargs.values()):
        if isinstance(value, ProjectHandle):
            raise TypeError(
                "a job gets the project's path (project.path), never the open Project: "
                "the window may close it while the job runs"
            )


# A QThread destroyed while running aborts the process; workers stay referenced here until their
# thread has really finished, whatever happens to the runner or the job handle.
_LIVE_WORKERS: set[QThread] = set()


class JobRunner(QObject):
    """Owns the running jobs; the status bar and dialogs listen to ``started``."""

    started = Signal(object)  # Job

    def __init__(self, parent: QObject | None = None, idle_s: float = DEFAULT_IDLE_S) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._workers: dict[int, QThread] = {}
        # One long-lived process for process jobs, so TensorFlow is imported once per session;
        # a second process job while it is busy gets a fresh process of its own.
        self._worker_process = WorkerProcess()
        self._worker_in_use = False
        self.idle_s = idle_s
        self._idle_timer = QTimer(self)
        self._idle_timer.setInterval(IDLE_CHECK_MS)
        self._idle_timer.timeout.connect(self.release_idle_worker)

    def _track(self, job: Job, worker: QThread, priority: QThread.Priority | None = None) -> Job:
        self._workers[job.job_id] = worker
        _LIVE_WORKERS.add(worker)
        worker.finished.connect(lambda: self._reap(job.job_id, worker))
        # Start on the next event-loop turn so the caller can connect to the job's signals
        # first; a fast job would otherwise finish before anyone listens.
        if priority is None:
            QTimer.singleShot(0, worker.start)
        else:
            QTimer.singleShot(0, lambda: worker.start(priority))
        self.started.emit(job)
        return job

    def _reap(self, job_id: int, worker: QThread) -> None:
        self._workers.pop(job_id, None)
        worker.wait()
        _LIVE_WORKERS.discard(worker)

    def run_thread(self, title: str, function: JobFunction, *args: Any, **kwargs: Any) -> Job:
        refuse_live_project(args, kwargs)
        job = Job(title, next(self._ids))
        return self._track(job, _ThreadWorker(job, function, args, kwargs))

    def run_service(
        self,
        title: str,
        function: JobFunction,
        *args: Any,
        priority: QThread.Priority | None = None,
        **kwargs: Any,
    ) -> Job:
        """``function(reporter, inbox, *args)`` in a thread of its own until cancelled;
        ``job.send(request)`` feeds it, ``reporter.emit(value)`` comes out as ``yielded``."""
        refuse_live_project(args, kwargs)
        job = Job(title, next(self._ids))
        return self._track(job, _ThreadWorker(job, function, args, kwargs, Inbox()), priority)

    def run_process(self, title: str, target: str, **kwargs: Any) -> Job:
        """Raises TypeError/ValueError now for an argument no process can receive."""
        refuse_live_project((), kwargs)
        check_arguments(target, kwargs)
        if not self._idle_timer.isActive():
            self._idle_timer.start()
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

    def release_idle_worker(self) -> bool:
        """Ends the warm worker process after ``idle_s`` without a job (memory back)."""
        if self._worker_in_use:
            return False
        return self._worker_process.close_if_idle(self.idle_s)

    @property
    def worker_process(self) -> WorkerProcess:
        return self._worker_process

    def shutdown(self) -> None:
        """At exit: ends the long-lived worker process (running jobs were cancelled first)."""
        self._idle_timer.stop()
        self._worker_process.close()

    def running(self) -> list[QThread]:
        return list(self._workers.values())

    def wait_all(self, timeout_ms: int = 10_000) -> bool:
        """For shutdown and tests: cancel nothing, just wait for the workers to end."""
        return all(worker.wait(timeout_ms) for worker in list(self._workers.values()))
