"""Cancel that always lands: ask the worker to stop, and end its process if it has not in time.

A training worker only sees a cancel request between steps, and some steps have no step
boundary for a while (importing TensorFlow, building ResNet50, one backbone batch on a slow
CPU). The user was promised that Cancel works within two seconds, so after the grace period
the worker process is ended. That is safe for the project: every step commits on its own and
the model is registered only at the very end, so an ended worker leaves what a cancelled one
does.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from app.jobs import Job
from model.jobs import ProcessJob

CANCEL_GRACE_MS = 1000  # plus up to ~0.6 s for the watcher to notice: within the 2 s promised


def worker_process(job: Job) -> ProcessJob | None:
    """The process behind a ``JobRunner.run_process`` job, or None for a thread job."""
    return job.process


def cancel_within(job: Job, grace_ms: int = CANCEL_GRACE_MS, parent: QObject | None = None) -> None:
    """Asks ``job`` to cancel and ends its worker process if it is still running after
    ``grace_ms``; thread jobs only get the request."""
    job.cancel()
    process = worker_process(job)
    if process is None:
        return
    timer = QTimer(parent if parent is not None else job)
    timer.setSingleShot(True)

    def end_worker() -> None:
        if not process.finished:
            process.kill()

    timer.timeout.connect(end_worker)
    job.ended.connect(timer.stop)
    job.ended.connect(timer.deleteLater)  # ``ended`` always comes, a killed worker included
    timer.start(grace_ms)
