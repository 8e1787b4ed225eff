"""One pattern for long work: a job is a plain function that takes a ``Reporter`` first.

The function calls ``reporter.update(...)`` between steps; that call delivers progress to whoever
listens and raises ``Cancelled`` once cancel was asked for, so cancellation is cooperative and
lands at a step boundary. The same function runs in a thread (GUI ``app.jobs.JobRunner``), in a
separate process (``ProcessJob``, for training: an out-of-memory or a crash ends the job, not the
app), or inline with a text progress bar (CLI). Nothing here knows about Qt.

A long-lived job (a *service*, like the spectrogram tiles) also takes an ``Inbox``: the caller
posts requests into it, the job hands results out with ``reporter.emit``. Whatever the mode,
the runner guarantees the job's end is announced once, however it ended (superqt's
``thread_worker`` "finished always fires" contract).
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
        on_emit: Callable[[Any], None] | None = None,
    ) -> None:
        self._on_progress = on_progress
        self._on_emit = on_emit
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

    def emit(self, value: Any) -> None:
        """Hands one result out while the job goes on (a service's tiles, say)."""
        if self._on_emit is not None:
            self._on_emit(value)

    def eta_seconds(self, done: float, total: float | None) -> float | None:
        """Seconds left by the average rate so far; None until there is a rate to go by."""
        if not total or done <= 0:
            return None
        elapsed = time.monotonic() - self.started
        return max(0.0, elapsed * (total - done) / done)


JobFunction = Callable[..., Any]


class Inbox:
    """Requests for a running service job: the newest request replaces one not yet taken.

    ``close`` (the runner calls it on cancel) wakes a job waiting in ``take``, which then
    raises ``Cancelled``: a service blocked on an empty inbox still ends promptly.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._value: Any = None
        self._fresh = False
        self._closed = False

    def put(self, value: Any) -> None:
        with self._cond:
            self._value, self._fresh = value, True
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def take(self, wait: bool = True) -> Any:
        """The newest request not yet taken; None when there is none and ``wait`` is False."""
        with self._cond:
            while wait and not self._fresh and not self._closed:
                self._cond.wait()
            if self._closed:
                raise Cancelled()
            if not self._fresh:
                return None
            self._fresh = False
            return self._value


def resolve(target: str) -> JobFunction:
    """``"package.module:function"`` -> the function; process jobs name their target this way
    because a spawned interpreter can only import, not unpickle, a closure."""
    module_name, _, attr = target.partition(":")
    if not attr:
        raise ValueError(f"job target must look like 'module:function', got {target!r}")
    return getattr(importlib.import_module(module_name), attr)


def run_inline(
    function: JobFunction,
    *args: Any,
    on_progress: Callable[[Progress], None] | None = None,
    **kwargs: Any,
) -> Any:
    """Runs a job in this thread (CLI, tests): same function, same reporter contract."""
    return function(Reporter(on_progress), *args, **kwargs)


from model.jobs.process import (  # noqa: E402 - re-exported: one import for every job user
    JobEvent,
    ProcessJob,
    WorkerProcess,
    check_arguments,
)

__all__ = [
    "Cancelled",
    "Inbox",
    "JobEvent",
    "JobFunction",
    "ProcessJob",
    "Progress",
    "Reporter",
    "WorkerProcess",
    "check_arguments",
    "resolve",
    "run_inline",
]
