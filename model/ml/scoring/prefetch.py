"""Runs a generator one step ahead in a thread, through a bounded queue: the producer half of
the scoring pipeline (reading, resampling and drawing clip images while the engine embeds).

A thread, not a process, by measurement: the producer's work is NumPy, SciPy's FFT, soxr and
libsndfile, which all release the GIL, and the backbone engines release it while they compute;
a process would have to pickle every batch of images (4.8 MB per 32 clips) across and would
not start faster under ``spawn``. The queue holds at most ``depth`` items, so memory stays
bounded however far ahead the producer could run, and the producer waits when the engine is
the slower stage.

Exceptions raised by the generator come out of the consumer's ``next`` as they were; closing
the consumer (or leaving its ``with`` block) stops the producer at its next step.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")
_END = object()


class _Raised:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class Prefetch(Generic[T]):
    """``for item in Prefetch(generator, depth=4)``: the generator runs in its own thread."""

    def __init__(self, source: Iterator[T], depth: int = 4, name: str = "sonotag-prefetch"):
        self._source = source
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._finished = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _put(self, item: object) -> bool:
        """Waits for room, giving up when stopped; False when stopped."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._source:
                if not self._put(item):
                    break
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer as it was
            self._put(_Raised(exc))
            return
        finally:
            close = getattr(self._source, "close", None)
            if close is not None and self._stop.is_set():
                close()  # the generator's own finally blocks run (files are closed)
        self._put(_END)

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        item = self._queue.get()
        if item is _END:
            self._finished = True
            self._thread.join()
            raise StopIteration
        if isinstance(item, _Raised):
            self._finished = True
            self._thread.join()
            raise item.error
        return item  # type: ignore[return-value]

    def close(self) -> None:
        """Stops the producer and waits for it (it finishes the step it is in)."""
        self._stop.set()
        self._finished = True
        while self._thread.is_alive():
            try:  # unblock a producer waiting for room
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self._thread.join()

    def __enter__(self) -> Prefetch[T]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
