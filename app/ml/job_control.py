"""Cancel that always lands: ``Job.cancel_within`` (kept here under its old name for the panels)."""

from __future__ import annotations

from PySide6.QtCore import QObject

from app.jobs import CANCEL_GRACE_MS, Job
from model.jobs import ProcessJob


def worker_process(job: Job) -> ProcessJob | None:
    """The process behind a ``JobRunner.run_process`` job, or None for a thread job."""
    return job.process


def cancel_within(job: Job, grace_ms: int = CANCEL_GRACE_MS, parent: QObject | None = None) -> None:
    """Asks ``job`` to cancel and ends its worker process if it is still running after
    ``grace_ms``; thread jobs only get the request."""
    job.cancel_within(grace_ms)
