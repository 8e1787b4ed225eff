"""The scoring engine: a loaded model that takes a stream of audio files and yields their scores.

It is long-lived on purpose: the backbone is compiled once, and windows of consecutive files
share batches, so a folder of 30-s files keeps the backbone as busy as one long file. The local
batch run (``model.batch``), project scoring and a cluster worker (one engine per worker,
fed file after file) all use it the same way::

    engine = ScoringEngine(load_bundle(path), hop=1.0)
    for result in engine.score(FileJob(p, key=p) for p in paths):
        result.starts, result.scores  # or result.error, the cause in words

Three stages overlap with no idle one (``bench/bench_pipeline.py`` measures it):

1. a producer thread (``Prefetch``) opens each file, finds its usable windows (NaN/Inf spans
   left out) and reads, resamples and draws the backbone's inputs a piece at a time;
2. this thread cuts the pieces into full batches across files and hands each to the
   backbone's engine, which keeps several in flight (OpenVINO) and returns at once;
3. finished batches go through the head (NumPy) into each file's score array.

Memory is bounded by the queue (a few batches of inputs), the batches in flight and one
score array per file in flight: a 24-hour file streams through like a 1-minute one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from model.errors import AudioError, SonotagError
from model.jobs import Reporter
from model.ml.engine import blas_one_thread
from model.ml.scoring.prefetch import Prefetch
from model.ml.scoring.stages import Backbone, FileFailed, FileStart, Piece, produce

QUEUE_PIECES = 6  # inputs waiting for the engine: a few batches, never a whole file


@dataclass
class FileJob:
    """One file to score; ``key`` is the caller's (a batch item, a recording id)."""

    path: Path
    key: Any = None
    starts: np.ndarray | None = None  # None: every window at the engine's hop


@dataclass
class FileResult:
    job: FileJob
    starts: np.ndarray = field(default_factory=lambda: np.empty(0))
    scores: np.ndarray | None = None  # (windows, classes), or None when it failed
    features: np.ndarray | None = None  # (windows, dim) when the engine keeps them
    error: str | None = None  # the cause in words, when it failed

    @property
    def ok(self) -> bool:
        return self.error is None


Progress = Callable[[FileJob, int, int], None]  # (job, windows done, windows in the file)


@dataclass
class _Open:
    """A file whose windows are in the pipeline."""

    job: FileJob
    starts: np.ndarray
    scores: np.ndarray
    features: np.ndarray | None
    done: int = 0
    produced: bool = False  # every piece was handed over
    error: str | None = None


class ScoringEngine:
    """``backbone`` + ``head`` (features -> scores) + the pipeline; reusable for many streams.

    ``head`` None scores nothing and returns the backbone's outputs as scores (a fine-tuned
    model's "backbone" gives scores directly). ``keep_features`` keeps each file's features
    in its result (project scoring caches them)."""

    def __init__(
        self,
        backbone: Backbone,
        head: Callable[[np.ndarray], np.ndarray] | None,
        settings: Any,
        *,
        hop: float,
        outputs: int,
        keep_features: bool = False,
    ) -> None:
        self.backbone = backbone
        self.head = head
        self.settings = settings
        self.hop = hop
        self.outputs = outputs
        self.keep_features = keep_features
        self.batch_size = backbone.batch_size
        self.stats = {"clips": 0, "batches": 0, "seconds": 0.0}
        self.loaded = False

    @property
    def description(self) -> str:
        return self.backbone.device.description

    def load(self, reporter: Reporter | None = None) -> None:
        """Builds the backbone and runs one input through it (the first call plans the
        graph: seconds that would otherwise land on the first file's figures). Once."""
        if self.loaded:
            return
        self.backbone.load(reporter)
        self.backbone.warm_up(self.settings)
        self.loaded = True

    def score(
        self,
        jobs: Iterable[FileJob],
        reporter: Reporter | None = None,
        progress: Progress | None = None,
        on_loaded: Callable[[], None] | None = None,
    ) -> Iterator[FileResult]:
        """Results in the order of ``jobs``, each as soon as it and every earlier one is done.
        A file that cannot be read gives a result with ``error`` and the stream goes on.

        Not loaded yet (``load``): the producer starts first, so the first files are read and
        drawn while the backbone compiles (half a second of a short job's start-up);
        ``on_loaded`` is called once it is ready, before the first batch."""
        started = time.monotonic()
        run = _Run(self, reporter, progress)
        source = produce(jobs, self.backbone, self.settings, self.hop, self.batch_size, reporter)
        with (
            blas_one_thread(),
            Prefetch(source, depth=QUEUE_PIECES, name="sonotag-scoring-inputs") as items,
        ):
            self.load(reporter)
            if on_loaded is not None:
                on_loaded()
            try:
                for item in items:
                    yield from run.take(item)
                yield from run.finish()
            finally:
                run.drain()
                self.stats["seconds"] += time.monotonic() - started


class _Run:
    """One ``score`` call: the batch being filled, the files in flight, the order of results."""

    def __init__(self, engine: ScoringEngine, reporter: Reporter | None, progress: Progress | None):
        self.engine = engine
        self.reporter = reporter
        self.progress = progress
        self.files: dict[int, _Open] = {}
        self.order: list[int] = []  # file numbers not yet yielded, in job order
        self.waiting: list[tuple[int, int, np.ndarray]] = []  # (file, offset, inputs)
        self.waiting_count = 0
        self.in_flight = 0
        self.failed: dict[int, FileResult] = {}

    def take(self, item: Any) -> Iterator[FileResult]:
        if self.reporter is not None:
            self.reporter.check()
        if isinstance(item, FileStart):
            self._open(item)
        elif isinstance(item, FileFailed):
            self._fail(item.number, item.job, item.cause)
        elif isinstance(item, Piece):
            opened = self.files.get(item.number)
            if opened is not None and opened.error is None:
                self.waiting.append((item.number, item.offset, item.inputs))
                self.waiting_count += len(item.inputs)
                opened.produced = item.last
                while self.waiting_count >= self.engine.batch_size:
                    self._submit(self.engine.batch_size)
        self._collect(wait=False)
        yield from self._ready()

    def finish(self) -> Iterator[FileResult]:
        while self.waiting_count:
            self._submit(min(self.waiting_count, self.engine.batch_size))
        self._collect(wait=True)
        yield from self._ready()

    def drain(self) -> None:
        """Whatever happened, nothing is left running in the engine."""
        try:
            self.engine.backbone.collect(wait=True)
        except SonotagError:
            pass

    def _open(self, item: FileStart) -> None:
        n = len(item.starts)
        dim = getattr(self.engine.backbone, "dim", 0)
        self.files[item.number] = _Open(
            item.job,
            item.starts,
            np.zeros((n, self.engine.outputs), np.float32),
            np.zeros((n, dim), np.float32) if self.engine.keep_features else None,
            produced=n == 0,
        )
        self.order.append(item.number)

    def _fail(self, number: int, job: FileJob, cause: str) -> None:
        if number not in self.files:
            self.order.append(number)
            self.files[number] = _Open(job, np.empty(0), np.empty((0, 0)), None)
        self.files[number].error = cause
        self.waiting = [w for w in self.waiting if w[0] != number]
        self.waiting_count = sum(len(w[2]) for w in self.waiting)

    def _submit(self, size: int) -> None:
        """One batch of ``size`` inputs from the front of the waiting pieces (across files)."""
        parts, segments, need = [], [], size
        while need:
            number, offset, inputs = self.waiting[0]
            take = min(need, len(inputs))
            parts.append(inputs[:take])
            segments.append((number, offset, take))
            if take == len(inputs):
                self.waiting.pop(0)
            else:
                self.waiting[0] = (number, offset + take, inputs[take:])
            need -= take
        self.waiting_count -= size
        batch = parts[0] if len(parts) == 1 else np.concatenate(parts)
        self.engine.backbone.submit(batch, segments)
        self.in_flight += 1
        self.engine.stats["batches"] += 1

    def _collect(self, wait: bool) -> None:
        for segments, outputs in self.engine.backbone.collect(wait):
            self.in_flight -= 1
            head = self.engine.head
            scores = head(outputs) if head is not None else outputs
            at = 0
            for number, offset, count in segments:
                opened = self.files[number]
                if opened.error is None:
                    opened.scores[offset : offset + count] = scores[at : at + count]
                    if opened.features is not None:
                        opened.features[offset : offset + count] = outputs[at : at + count]
                    opened.done += count
                    if self.progress is not None:
                        self.progress(opened.job, opened.done, len(opened.starts))
                at += count
            self.engine.stats["clips"] += at

    def _ready(self) -> Iterator[FileResult]:
        while self.order:
            opened = self.files[self.order[0]]
            if opened.error is None and not (opened.produced and opened.done == len(opened.starts)):
                return
            del self.files[self.order.pop(0)]
            if opened.error is not None:
                yield FileResult(opened.job, error=opened.error)
            else:
                yield FileResult(opened.job, opened.starts, opened.scores, opened.features)


__all__ = ["AudioError", "FileJob", "FileResult", "ScoringEngine"]
