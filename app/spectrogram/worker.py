"""The one thread that computes spectrogram tiles, so the GUI thread never runs an FFT.

The view hands it the complete list of tiles it wants, most wanted first; each new list replaces
the old one, so tiles for a place the user already scrolled past are never computed. Finished
tiles go into the shared ``TileCache`` and their keys come back through ``tile_ready`` (a queued
signal: the slot runs on the GUI thread). The thread keeps its own ``AudioFile`` because a
libsndfile handle must not be shared between threads.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from model.audio import AudioFile
from model.errors import SonotagError
from model.spectrogram import TileCache, TileGrid, TileKey, compute_tile


class TileWorker(QThread):
    """Computes requested tiles in order; ``request`` may be called any time from the GUI."""

    tile_ready = Signal(object)  # TileKey, now in the cache
    failed = Signal(str)  # a message naming the file and the cause

    def __init__(self, cache: TileCache, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("spectrogram-tiles")
        self.cache = cache
        self._cond = threading.Condition()
        self._pending: list[TileKey] = []
        self._grids: dict[str, TileGrid] = {}
        self._stopping = False
        self._busy = False
        self._audio: AudioFile | None = None
        self._failed_source: str | None = None

    # -- called from the GUI thread ----------------------------------------------------------

    def request(self, grids: dict[str, TileGrid], keys: list[TileKey]) -> None:
        """Compute ``keys`` (first first), dropping whatever was asked before and is not here.

        ``grids`` maps each key's source to its recording's addressing (frames, sample rate).
        """
        with self._cond:
            self._grids = dict(grids)
            self._pending = [k for k in keys if k not in self.cache]
            self._cond.notify()

    def idle(self) -> bool:
        with self._cond:
            return not self._pending and not self._busy

    def ensure_running(self) -> None:
        """Start (again, after ``stop``) if the thread is not running."""
        if not self.isRunning():
            self.wait()
            with self._cond:
                self._stopping = False
            # below the GUI thread where the OS honours it (Windows, macOS; a no-op on Linux)
            self.start(QThread.Priority.LowPriority)

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._pending.clear()
            self._cond.notify()
        self.wait()

    # -- the thread --------------------------------------------------------------------------

    def run(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._pending and not self._stopping:
                        self._busy = False
                        self._cond.wait()
                    if self._stopping:
                        return
                    key = self._pending.pop(0)
                    grid = self._grids.get(key.source)
                    self._busy = True
                if grid is None or key in self.cache or key.source == self._failed_source:
                    continue
                try:
                    tile = compute_tile(self._open(key.source), grid, key)
                except SonotagError as exc:
                    self._failed_source = key.source
                    self.failed.emit(str(exc))
                    continue
                except Exception as exc:  # noqa: BLE001 - a bad tile must not kill the thread
                    self.failed.emit(f"{key.source}: spectrogram could not be computed ({exc})")
                    continue
                self.cache.put(tile)
                self.tile_ready.emit(key)
        finally:
            self._close()
            with self._cond:
                self._busy = False

    def _open(self, source: str) -> AudioFile:
        if self._audio is None or str(self._audio.path) != source:
            self._close()
            self._audio = AudioFile(Path(source), allow_truncated=True)
        return self._audio

    def _close(self) -> None:
        if self._audio is not None:
            self._audio.close()
            self._audio = None

    def forget_failure(self) -> None:
        """Try a file again that failed before (the user re-opened it)."""
        self._failed_source = None
