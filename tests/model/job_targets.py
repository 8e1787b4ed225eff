"""Job functions for the job-runner tests; importable by a spawned worker process."""

from __future__ import annotations

import os
import time

from model.errors import AudioError
from model.jobs import Reporter


def count(reporter: Reporter, n: int, delay: float = 0.0) -> int:
    for i in range(n):
        reporter.update(i, n, f"step {i}", square=i * i)
        time.sleep(delay)
    reporter.update(n, n, "done")
    return n * 10


def until_cancelled(reporter: Reporter, step: float = 0.01) -> None:
    i = 0
    while True:
        reporter.update(i, None, "working")
        time.sleep(step)
        i += 1


def bad_file(reporter: Reporter, path: str) -> None:
    reporter.update(0, 1)
    raise AudioError(path, "file is empty (0 bytes)")


def bug(reporter: Reporter) -> None:
    raise ZeroDivisionError("division by zero")


def die(reporter: Reporter) -> None:
    reporter.update(0, 1, "about to die")
    time.sleep(0.2)
    os._exit(3)


def pid(reporter: Reporter) -> int:
    reporter.update(1, 1)
    return os.getpid()


def environment(reporter: Reporter, key: str) -> str | None:
    reporter.update(1, 1)
    return os.environ.get(key)


def label_in_worker(
    reporter: Reporter, project_path: str, recording_id: int, class_id: int, starts: list[float]
) -> int:
    """What a training or scoring worker does to the project: open, write, close."""
    from model.project import Project

    with Project.open(project_path) as project:
        for i, start in enumerate(starts):
            reporter.update(i, len(starts))
            project.put_label(recording_id, start, start + 2.0, class_id, "present")
    return len(starts)


class _Local:
    """Stands for a result that cannot be pickled (it holds a lock)."""

    def __init__(self) -> None:
        import threading

        self.lock = threading.Lock()


def unpicklable_result(reporter: Reporter) -> object:
    reporter.update(1, 1)
    return _Local()


def _refuse_in_other_process(pid: int) -> None:
    if os.getpid() != pid:
        raise ValueError("this result can only be read where it was made")


class OnlyHere:
    def __reduce__(self) -> tuple:
        return (_refuse_in_other_process, (os.getpid(),))


def unreadable_result(reporter: Reporter) -> object:
    reporter.update(1, 1)
    return OnlyHere()


def service_square(reporter: Reporter, inbox, offset: int = 0) -> None:
    """A service job: squares every number it is sent until cancelled."""
    while True:
        value = inbox.take()
        reporter.emit(value * value + offset)


def slow_echo(reporter: Reporter, value: object, seconds: float = 0.5) -> object:
    steps = max(1, int(seconds / 0.02))
    for i in range(steps):
        reporter.update(i, steps)
        time.sleep(0.02)
    return value


def saving_slowly(reporter: Reporter, seconds: float = 2.0) -> str:
    """A step that must not be cut (as saving a model): cancel waits for it."""
    reporter.update(0, None, "saving", stage="saving", uninterruptible=True)
    time.sleep(seconds)
    return "saved"
