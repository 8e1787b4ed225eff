"""Process mode of the job pattern: a job in a spawned process, or in one kept warm for the next.

Whatever happens (the process cannot start, an argument or the result cannot be pickled, the
process is killed or runs out of memory) the caller receives exactly one final event, so a
button waiting for the job's end always comes back. An argument that cannot be sent to another
process is refused when the job is submitted, naming the argument.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import pickle
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from model.errors import SonotagError
from model.jobs import Cancelled, Progress, Reporter, resolve

PARENT_CHECK_S = 5.0  # an orphaned worker (the app was killed) notices within this time
FOLLOW_UP_S = 1.0  # a job sent this soon after the last one runs before memory is given back
DEFAULT_IDLE_S = 180.0  # a warm worker with nothing to do gives its memory back after this


@dataclass(frozen=True)
class JobEvent:
    """What a process job sends home: progress, its result, or an error it could describe."""

    kind: str  # "progress" | "done" | "cancelled" | "error"
    progress: Progress | None = None
    result: Any = None
    error: str = ""
    detail: str = ""


def check_arguments(target: str, kwargs: dict[str, Any]) -> None:
    """Refuses, at submit time, a target that is no ``module:function`` or an argument that
    cannot travel to a spawned process (multiprocessing would fail later, in a feeder thread,
    where nobody hears it, and the job would never end)."""
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise ValueError(f"job target must look like 'module:function', got {target!r}")
    for name, value in kwargs.items():
        try:
            pickle.dumps(value)
        except Exception as exc:  # noqa: BLE001 - pickling raises many kinds of error
            raise TypeError(
                f"argument {name!r} of job {target} cannot be sent to a worker process "
                f"({type(exc).__name__}: {exc}); pass plain values such as paths and ids"
            ) from exc


def _sendable(event: JobEvent) -> JobEvent:
    """The final event itself, or an error event when its result cannot be pickled."""
    try:
        pickle.dumps(event)
    except Exception as exc:  # noqa: BLE001
        return JobEvent(
            "error",
            error=f"the job's result could not be sent back ({type(exc).__name__}: {exc})",
            detail=traceback.format_exc(),
        )
    return event


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
        put(_sendable(JobEvent("done", result=result)))


def _child_main(target: str, kwargs: dict[str, Any], events: Any, cancel_event: Any) -> None:
    _run_task(target, kwargs, lambda event: events.put((0, event)), cancel_event)


def _give_memory_back() -> None:
    """Between jobs: TensorFlow keeps every graph and layer built so far until told otherwise,
    so a worker retraining again and again would grow by one model each time."""
    if "keras" in sys.modules:
        sys.modules["keras"].backend.clear_session()
    gc.collect()


def _parent_alive(parent: int) -> bool:
    import psutil

    return psutil.pid_exists(parent) and os.getppid() == parent


def _worker_main(tasks: Any, events: Any, cancel_event: Any, parent: int) -> None:
    """Runs jobs as they come. Memory is given back once the worker is idle for
    ``FOLLOW_UP_S``, not at once after each job: that takes a second or more once TensorFlow
    is loaded (``bench/bench_retrain_gui.py``), and the app sends the follow-up of a job
    (re-scoring the shown recording after a training) the moment the job's result arrives;
    it then waited behind the clean-up. At most one job runs before memory is given back, so
    back-to-back retrains still do not grow the worker."""
    owed = 0  # jobs run since memory was last given back
    while True:
        try:
            item = tasks.get(timeout=FOLLOW_UP_S if owed else PARENT_CHECK_S)
        except queue.Empty:
            if owed:
                _give_memory_back()
                owed = 0
            elif not _parent_alive(parent):
                return
            continue
        if item is None:
            return
        if owed > 1:
            _give_memory_back()
            owed = 0
        number, target, kwargs = item
        _run_task(target, kwargs, lambda event, n=number: events.put((n, event)), cancel_event)
        owed += 1


class ProcessJob:
    """Runs ``target(reporter, **kwargs)`` in a spawned process (works the same on Windows/macOS).

    The parent polls for events; if the child dies without saying why (SIGKILL, out of memory)
    ``poll`` reports an error event with the exit code, so callers need no special case. With a
    ``WorkerProcess`` the job runs in that long-lived process instead of a fresh one.
    """

    def __init__(self, target: str, *, worker: WorkerProcess | None = None, **kwargs: Any) -> None:
        check_arguments(target, kwargs)
        self.target = target
        self.kwargs = kwargs
        self.worker = worker
        self.finished = False
        self._number = 0
        self._started = False
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
        """Starts the job; raises (OSError, RuntimeError) when no process can be started."""
        if self.worker is None:
            self._process.start()
        else:
            self._process, self._events, self._cancel, self._number = self.worker.submit(
                self.target, self.kwargs
            )
        self._started = True
        if self._cancel_early:
            self._cancel.set()
        return self

    def cancel(self) -> None:
        self._cancel_early = True
        if self._started:
            self._cancel.set()

    def kill(self) -> None:
        process = getattr(self, "_process", None)
        if process is not None and process.pid is not None and process.is_alive():
            process.kill()

    def is_alive(self) -> bool:
        process = getattr(self, "_process", None)
        return process is not None and process.pid is not None and process.is_alive()

    def _get(self, timeout: float | None) -> JobEvent:
        """Next event of this job; events left over from an earlier job of a worker are skipped.

        An event that cannot be unpickled here (a result class this process cannot import)
        becomes the final error event instead of an exception in the watcher.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                number, event = (
                    self._events.get(timeout=remaining) if remaining else self._events.get_nowait()
                )
            except queue.Empty:
                raise
            except Exception as exc:  # noqa: BLE001 - unpickling can raise anything
                return JobEvent(
                    "error",
                    error=f"the job's result could not be read ({type(exc).__name__}: {exc})",
                    detail=traceback.format_exc(),
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
            self.release()
        return out

    def release(self) -> None:
        """The job is over for its owner: a worker is free again (idempotent)."""
        self.finished = True
        if self.worker is None:
            if self._started:
                self._process.join(timeout=5)
        elif self._started:
            self.worker.release(self._number)

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


#: What a worker reads once, when Keras starts: one started under other values is replaced.
COMPUTE_ENV = (
    "KERAS_BACKEND",
    "SONOTAG_BACKEND",
    "SONOTAG_DEVICE",
    "SONOTAG_PRECISION",
    "SONOTAG_ENGINE",
)


def compute_env() -> tuple[str | None, ...]:
    return tuple(os.environ.get(key) for key in COMPUTE_ENV)


class WorkerProcess:
    """A spawned process that runs process jobs one after another.

    Training and scoring import TensorFlow, which costs seconds; keeping one worker alive makes
    "retrain, then re-score" take the head's fitting time, not the import's. Between jobs it
    clears Keras' session, and ``close_if_idle`` ends it after a few idle minutes so its memory
    goes back to the system. A worker that died (cancel with force, a crash, idle exit) is
    noticed at the next job, which starts a fresh one.
    """

    def __init__(self) -> None:
        self._ctx = mp.get_context("spawn")
        self._process: Any = None
        self._numbers = iter(range(1, 1 << 62))
        self._lock = threading.Lock()
        self.busy = False
        self._idle_since = time.monotonic()
        self.starts = 0  # processes started so far (a replaced worker counts again)
        self._retired: list[Any] = []  # idle workers asked to exit, not yet reaped
        self._env = compute_env()  # the device and backend choice the worker started under

    def _ensure_started(self) -> None:
        """A live worker serves the next job unless the device or backend choice changed
        since it started (Preferences): Keras has fixed both in it, so a fresh one starts."""
        self._reap_retired()
        if self._process is not None and self._process.is_alive():
            if compute_env() == self._env:
                return
            self._tasks.put(None)
            self._retired.append(self._process)
            self._process = None
        self._env = compute_env()
        self._tasks = self._ctx.Queue()
        self._events = self._ctx.Queue()
        self._cancel = self._ctx.Event()
        self._process = self._ctx.Process(
            target=_worker_main,
            args=(self._tasks, self._events, self._cancel, os.getpid()),
            daemon=True,
        )
        self._process.start()
        self.starts += 1

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
            self._idle_since = time.monotonic()

    def job(self, target: str, **kwargs: Any) -> ProcessJob:
        return ProcessJob(target, worker=self, **kwargs)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def close_if_idle(self, idle_s: float = DEFAULT_IDLE_S) -> bool:
        """Ends the worker when it has had nothing to do for ``idle_s``; True if it did."""
        with self._lock:
            idle = not self.busy and time.monotonic() - self._idle_since >= idle_s
            if not idle or not self.alive():
                return False
            # Asked to exit, not waited for (TensorFlow takes a moment to unload; the GUI
            # thread calls this); the next job starts a fresh process either way.
            self._tasks.put(None)
            self._retired.append(self._process)
            self._process = None
        self._reap_retired()
        return True

    def _reap_retired(self) -> None:
        for process in list(self._retired):
            if not process.is_alive():
                process.join(timeout=0)
                self._retired.remove(process)

    def close(self) -> None:
        """Asks the idle worker to exit; ends it if it does not within a few seconds."""
        for process in self._retired:
            process.join(timeout=5)
        self._retired.clear()
        if self._process is None or not self._process.is_alive():
            return
        if not self.busy:
            self._tasks.put(None)
            self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout=5)
