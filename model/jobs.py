"""One pattern for long work: a job is a plain function that takes a ``Reporter`` first.

The function calls ``reporter.update(...)`` between steps; that call delivers progress to whoever
listens and raises ``Cancelled`` once cancel was asked for, so cancellation is cooperative and
lands at a step boundary. The same function runs in a thread (GUI ``app.jobs.JobRunner``), in a
separate process (``ProcessJob``, for training: an out-of-memory or a crash ends the job, not the
app), or inline with a text progress bar (CLI). Nothing here knows about Qt.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from model.errors import SonotagError
from model.pathtext import clean_text


class Cancelled(Exception):  # noqa: N818 - reads as "the job was cancelled"
    """Raised inside a job by ``Reporter.update``/``check`` once cancel was requested."""


@dataclass(frozen=True)
class Progress:
    """A step of a job: ``done`` of ``total`` units (total None when unknown) and free data.

    ``data`` carries job-specific figures (epoch loss, clips/s...) so one signal path serves all.
    """

    done: float
    total: float | None = None
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return max(0.0, min(1.0, self.done / self.total))


class Reporter:
    """Handed to every job; the only channel between a job and the one who runs it."""

    def __init__(
        self,
        on_progress: Callable[[Progress], None] | None = None,
        cancel_event: Any | None = None,
    ) -> None:
        self._on_progress = on_progress
        # threading.Event or a multiprocessing Event: both have set()/is_set().
        self._cancel = cancel_event if cancel_event is not None else threading.Event()
        self.started = time.monotonic()

    @property
    def cancelled(self) -> bool:
        return bool(self._cancel.is_set())

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def update(
        self, done: float, total: float | None = None, message: str = "", **data: Any
    ) -> None:
        self.check()
        if self._on_progress is not None:
            # Messages often name a file: one that is not valid UTF-8 is shown with U+FFFD.
            self._on_progress(Progress(done, total, clean_text(message), dict(data)))

    def eta_seconds(self, done: float, total: float | None) -> float | None:
        """Seconds left by the average rate so far; None until there is a rate to go by."""
        if not total or done <= 0:
            return None
        elapsed = time.monotonic() - self.started
        return max(0.0, elapsed * (total - done) / done)


JobFunction = Callable[..., Any]


def resolve(target: str) -> JobFunction:
    """``"package.module:function"`` -> the function; process jobs name their target this way
    because a spawned interpreter can only import, not unpickle, a closure."""
    module_name, _, attr = target.partition(":")
    if not attr:
        raise ValueError(f"job target must look like 'module:function', got {target!r}")
    return getattr(importlib.import_module(module_name), attr)


@dataclass(frozen=True)
class JobEvent:
    """What a process job sends home: progress, its result, or an error it could describe."""

    kind: str  # "progress" | "done" | "cancelled" | "error"
    progress: Progress | None = None
    result: Any = None
    error: str = ""
    detail: str = ""


def _run_task(
    target: str, kwargs: dict[str, Any], put: Callable[[JobEvent], None], cancel: Any
) -> None:
    """Runs one job in a worker process and always ends with exactly one final event."""
    reporter = Reporter(lambda p: put(JobEvent("progress", progress=p)), cancel)
    try:
        result = resolve(target)(reporter, **kwargs)
    except Cancelled:
        put(JobEvent("cancelled"))
    except SonotagError as exc:
        put(JobEvent("error", error=str(exc), detail=traceback.format_exc()))
    except BaseException as exc:  # noqa: BLE001 - anything else is reported, never swallowed
        put(JobEvent("error", error=f"{type(exc).__name__}: {exc}", detail=traceback.format_exc()))
    else:
        put(JobEvent("done", result=result))


def _child_main(target: str, kwargs: dict[str, Any], events: Any, cancel_event: Any) -> None:
    _run_task(target, kwargs, lambda event: events.put((0, event)), cancel_event)


def _worker_main(tasks: Any, events: Any, cancel_event: Any) -> None:
    while True:
        item = tasks.get()
        if item is None:
            return
        number, target, kwargs = item
        _run_task(target, kwargs, lambda event, n=number: events.put((n, event)), cancel_event)


class ProcessJob:
    """Runs ``target(reporter, **kwargs)`` in a spawned process (works the same on Windows/macOS).

    The parent polls for events; if the child dies without saying why (SIGKILL, out of memory)
    ``poll`` reports an error event with the exit code, so callers need no special case. With a
    ``WorkerProcess`` the job runs in that long-lived process instead of a fresh one.
    """

    def __init__(self, target: str, *, worker: WorkerProcess | None = None, **kwargs: Any) -> None:
        self.target = target
        self.kwargs = kwargs
        self.worker = worker
        self.finished = False
        self._number = 0
        self._cancel_early = False  # cancel() before start(): honoured as soon as it starts
        if worker is None:
            ctx = mp.get_context("spawn")
            self._events = ctx.Queue()
            self._cancel = ctx.Event()
            self._process = ctx.Process(
                target=_child_main, args=(target, kwargs, self._events, self._cancel), daemon=True
            )

    @property
    def pid(self) -> int | None:
        process = getattr(self, "_process", None)
        return process.pid if process is not None else None

    def start(self) -> ProcessJob:
        if self.worker is None:
            self._process.start()
        else:
            self._process, self._events, self._cancel, self._number = self.worker.submit(
                self.target, self.kwargs
            )
        if self._cancel_early:
            self._cancel.set()
        return self

    def cancel(self) -> None:
        self._cancel_early = True
        if hasattr(self, "_cancel"):
            self._cancel.set()

    def kill(self) -> None:
        process = getattr(self, "_process", None)
        if process is not None and process.pid is not None and process.is_alive():
            process.kill()

    def is_alive(self) -> bool:
        process = getattr(self, "_process", None)
        return process is not None and process.pid is not None and process.is_alive()

    def _get(self, timeout: float | None) -> JobEvent:
        """Next event of this job; events left over from an earlier job of a worker are skipped."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            number, event = (
                self._events.get(timeout=remaining) if remaining else self._events.get_nowait()
            )
            if number == self._number:
                return event

    def poll(self, timeout: float = 0.1) -> list[JobEvent]:
        """Events that arrived, waiting up to ``timeout`` for the first; the last one is final
        (done/cancelled/error) once the job is over."""
        out: list[JobEvent] = []
        while not self.finished:
            try:
                event = self._get(timeout if not out else 0.0)
            except queue.Empty:
                break
            out.append(event)
            self.finished = event.kind != "progress"
        if not self.finished and not out and not self._process.is_alive():
            # Drain once more: the child may have put its last event just before exiting.
            try:
                out.append(self._get(0.5))
                self.finished = out[-1].kind != "progress"
            except queue.Empty:
                pass
            if not self.finished:
                self.finished = True
                code = self._process.exitcode
                out.append(
                    JobEvent(
                        "error",
                        error=f"the worker process ended unexpectedly (exit code {code})",
                    )
                )
        if self.finished:
            if self.worker is None:
                self._process.join(timeout=5)
            else:
                self.worker.release(self._number)
        return out

    def wait(
        self, on_progress: Callable[[Progress], None] | None = None, poll_s: float = 0.1
    ) -> JobEvent:
        """Blocks until the job ends (CLI and tests); returns the final event."""
        while True:
            for event in self.poll(poll_s):
                if event.kind == "progress" and on_progress and event.progress:
                    on_progress(event.progress)
                elif event.kind != "progress":
                    return event


class WorkerProcess:
    """A spawned process that runs process jobs one after another.

    Training and scoring import TensorFlow, which costs seconds; keeping one worker alive makes
    "retrain, then re-score" take the head's fitting time, not the import's. A job that kills
    the worker (cancel with force, a crash) just means the next job starts a fresh one.
    """

    def __init__(self) -> None:
        self._ctx = mp.get_context("spawn")
        self._process: Any = None
        self._numbers = iter(range(1, 1 << 62))
        self._lock = threading.Lock()
        self.busy = False

    def _ensure_started(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        self._tasks = self._ctx.Queue()
        self._events = self._ctx.Queue()
        self._cancel = self._ctx.Event()
        self._process = self._ctx.Process(
            target=_worker_main, args=(self._tasks, self._events, self._cancel), daemon=True
        )
        self._process.start()

    def submit(self, target: str, kwargs: dict[str, Any]) -> tuple[Any, Any, Any, int]:
        """Queues one job; returns what its ``ProcessJob`` polls (process, events, cancel, id)."""
        with self._lock:
            if self.busy:
                raise RuntimeError("this worker process is already running a job")
            self._ensure_started()
            self.busy = True
            number = next(self._numbers)
            self._cancel.clear()
            self._tasks.put((number, target, kwargs))
            return self._process, self._events, self._cancel, number

    def release(self, number: int) -> None:
        with self._lock:
            self.busy = False

    def job(self, target: str, **kwargs: Any) -> ProcessJob:
        return ProcessJob(target, worker=self, **kwargs)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def close(self) -> None:
        """Asks the idle worker to exit; ends it if it does not within a few seconds."""
        if self._process is None or not self._process.is_alive():
            return
        if not self.busy:
            self._tasks.put(None)
            self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout=5)


def run_inline(
    function: JobFunction,
    *args: Any,
    on_progress: Callable[[Progress], None] | None = None,
    **kwargs: Any,
) -> Any:
    """Runs a job in this thread (CLI, tests): same function, same reporter contract."""
    return function(Reporter(on_progress), *args, **kwargs)
