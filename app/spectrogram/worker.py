"""The spectrogram tiles: a service job (``JobRunner.run_service``), so the GUI never runs an FFT.

The view hands it the complete list of tiles it wants, most wanted first; each new list replaces
the old one, so tiles for a place the user already scrolled past are never computed. Finished
tiles go into the shared ``TileCache`` and their keys come back through ``tile_ready`` (the job's
``yielded``, delivered on the GUI thread). The job keeps its own ``AudioFile`` because a
libsndfile handle must not be shared between threads. It is the app's one background-job
pattern in its long-lived mode: same cancel, same end signal that always fires.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from app.jobs import Job, JobRunner
from model.audio import AudioFile
from model.errors import SonotagError
from model.jobs import Inbox, Reporter
from model.spectrogram import TileCache, TileGrid, TileKey, compute_tile


@dataclass
class TileState:
    """What the GUI may read or reset while the service runs (plain fields: the GIL suffices)."""

    busy: bool = False
    failed_source: str | None = None


def tile_service(reporter: Reporter, inbox: Inbox, cache: TileCache, state: TileState) -> None:
    """Computes the tiles of the newest request, first first, until cancelled.

    Emits ``("tile", key)`` for each tile put in the cache and ``("failed", message)`` once per
    recording that cannot be read (later tiles of that file are skipped until it is reopened).
    """
    pending: list[TileKey] = []
    grids: dict[str, TileGrid] = {}
    audio: AudioFile | None = None
    try:
        while True:
            state.busy = bool(pending)
            request = inbox.take(wait=not pending)
            if request is not None:
                grids, keys = request
                pending = [k for k in keys if k not in cache]
            if not pending:
                continue
            state.busy = True
            key = pending.pop(0)
            grid = grids.get(key.source)
            if grid is None or key in cache or key.source == state.failed_source:
                continue
            try:
                if audio is None or str(audio.path) != key.source:
                    if audio is not None:
                        audio.close()
                    audio = None
                    audio = AudioFile(Path(key.source), allow_truncated=True)
                tile = compute_tile(audio, grid, key)
            except SonotagError as exc:
                state.failed_source = key.source
                reporter.emit(("failed", str(exc)))
                continue
            except Exception as exc:  # noqa: BLE001 - a bad tile must not end the service
                message = f"{key.source}: spectrogram could not be computed ({exc})"
                reporter.emit(("failed", message))
                continue
            cache.put(tile)
            reporter.emit(("tile", key))
    finally:
        state.busy = False
        if audio is not None:
            audio.close()


class TileWorker(QObject):
    """The view's handle on the tile service; ``request`` may be called any time."""

    tile_ready = Signal(object)  # TileKey, now in the cache
    failed = Signal(str)  # a message naming the file and the cause

    def __init__(self, cache: TileCache, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("spectrogram-tiles")
        self.cache = cache
        self.state = TileState()
        self._runner = JobRunner(self)
        self._job: Job | None = None
        self._last: tuple[dict[str, TileGrid], list[TileKey]] = ({}, [])

    # -- called from the GUI thread ----------------------------------------------------------

    def request(self, grids: dict[str, TileGrid], keys: list[TileKey]) -> None:
        """Compute ``keys`` (first first), dropping whatever was asked before and is not here.

        ``grids`` maps each key's source to its recording's addressing (frames, sample rate).
        """
        self._last = (dict(grids), list(keys))
        if self._job is not None:
            self.state.busy = bool(keys) or self.state.busy
            self._job.send(self._last)

    def idle(self) -> bool:
        return not self.state.busy

    def isRunning(self) -> bool:  # noqa: N802 - reads like the QThread it replaced
        return self._job is not None and not self._job.done

    def ensure_running(self) -> None:
        """Start (again, after ``stop``) if the service is not running."""
        if self._job is not None and not self._job.done:
            return
        # Below the GUI thread where the OS honours it (Windows, macOS; a no-op on Linux).
        job = self._runner.run_service(
            "Spectrogram tiles",
            tile_service,
            self.cache,
            self.state,
            priority=QThread.Priority.LowPriority,
        )
        job.yielded.connect(self._on_result)
        self._job = job
        if self._last[1]:
            job.send(self._last)

    def stop(self) -> None:
        job, self._job = self._job, None
        if job is not None:
            job.cancel()
        self._runner.wait_all(10_000)

    def _on_result(self, result: tuple[str, object]) -> None:
        kind, value = result
        if kind == "tile":
            self.tile_ready.emit(value)
        else:
            self.failed.emit(str(value))

    def forget_failure(self) -> None:
        """Try a file again that failed before (the user re-opened it)."""
        self.state.failed_source = None
