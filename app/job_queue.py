"""Queue mode of the job pattern (the scoring queue): requests wait, one job takes them all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.jobs import Job


class JobQueue(QObject):
    """Queue mode: requests wait in order; one job at a time takes all that wait, and when it
    ends the next one starts with whatever came meanwhile (the scoring queue).

    ``start(batch)`` builds the job for a batch (or returns None to drop it); ``accept(items)``
    filters new requests (what the running job already covers need not wait again).

    Jobs are bound to the project they were started for (``Job.bind``): once the window has
    moved on, the running job still holds the one slot until it ends, but its batch covers
    nothing any more (``running`` is empty), because ids of the old project name other things
    in the new one.
    """

    busy_changed = Signal(bool)

    def __init__(
        self,
        start: Callable[[list[Any]], Job | None],
        accept: Callable[[list[Any]], list[Any]] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._start_fn = start
        self._accept = accept or (lambda items: items)
        self.waiting: list[Any] = []
        self._batch: list[Any] = []
        self.job: Job | None = None

    @property
    def running(self) -> list[Any]:
        """The requests the running job takes, while its project is still the open one."""
        if self.job is None or self.job.stale:
            return []
        return list(self._batch)

    def add(self, items: list[Any], front: bool = False) -> None:
        """Queues ``items`` not waiting already (a set: a season's 100,000 recordings asked
        for twice must not compare every pair)."""
        waiting = set(self.waiting)
        fresh = [i for i in dict.fromkeys(self._accept(list(items))) if i not in waiting]
        self.waiting = fresh + self.waiting if front else self.waiting + fresh
        if self.job is None and self.waiting:
            self._next()

    def clear(self) -> None:
        self.waiting = []

    def _next(self) -> None:
        batch, self.waiting = self.waiting, []
        job = self._start_fn(batch)
        if job is None:
            return
        self._batch, self.job = batch, job
        job.ended.connect(lambda j=job: self._ended(j))
        self.busy_changed.emit(True)

    def _ended(self, job: Job) -> None:
        if job is not self.job:
            return
        self.job, self._batch = None, []
        self.busy_changed.emit(False)
        if self.waiting:
            self._next()
