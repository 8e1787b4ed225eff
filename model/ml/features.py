"""Backbone features for windows of recordings, from the project's cache whenever possible.

This is what makes retraining fast: features are keyed by the backbone's cache key (network,
weights, precision), clip settings fingerprint, recording and window start, so retraining the
head or re-scoring a recording with a new head never runs the backbone again. New features are
written to the cache folder beside the project (``model.project.feature_cache``) every few
seconds of backbone work, so a worker killed half-way keeps nearly everything computed so far.
A cache that cannot be written (read-only project, full disk) costs speed, never the job.

Freshly computed vectors are rounded to float16 exactly as the cache stores them, so a score
does not depend on whether its features came from the cache or the backbone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.clips import ClipSettings
from model.errors import AudioError, ProjectError
from model.jobs import Reporter
from model.ml.backbones import Backbone
from model.ml.engine import blas_one_thread
from model.ml.scoring.prefetch import Prefetch
from model.project.clip_choice import CLIP_SETTINGS_META as CLIP_SETTINGS_META
from model.project.clip_choice import stored_clip_settings
from model.project.feature_cache import FeatureStore
from model.project.records import Recording
from model.project.segments import as_stored

WRITE_ROWS = 1024  # computed vectors written to the cache at least this many at a time ...
WRITE_EVERY_S = 20.0  # ... or this often, whichever comes first


def clip_settings_of(project: Any) -> ClipSettings:
    """The project's clip settings: its own accessor if it has one, else the meta table, else
    today's defaults (a project that never changed them)."""
    getter = getattr(project, "clip_settings", None)
    if callable(getter):
        return getter()
    return stored_clip_settings(project)


@dataclass
class FeatureStats:
    cached: int = 0
    computed: int = 0
    seconds: float = 0.0
    missing_recordings: list[str] = field(default_factory=list)
    cache_errors: list[str] = field(default_factory=list)


class FeatureSource:
    """Cache first, backbone for the rest; the backbone is built only if something is missing."""

    def __init__(
        self,
        project: Any,
        settings: ClipSettings,
        extractor: Backbone,
        chunk: int | None = None,
        store: FeatureStore | None = None,
    ) -> None:
        self.project = project
        self.settings = settings
        self.fingerprint = settings.fingerprint()
        self.extractor = extractor
        self.chunk = chunk or 2 * extractor.batch_size
        self.store = store or FeatureStore.for_project(
            project, extractor.cache_key, self.fingerprint
        )
        self.stats = FeatureStats()
        self._writes = _Writes(self)
        self._planned: _Progress | None = None

    def plan(
        self,
        requests: Iterable[tuple[Recording, np.ndarray]],
        reporter: Reporter | None = None,
        message: str = "computing clip features",
        on_progress: Callable[[int, int, float | None], None] | None = None,
    ) -> int:
        """Counts the windows these requests need from the backbone (reading only the cache's
        window lists), so the ``features`` calls that follow, on the same requests in pieces,
        report progress and ETA over the whole job instead of restarting for each piece."""
        total = sum(int((~self.store.lookup(rec, starts)).sum()) for rec, starts in requests)
        self._planned = _Progress(self, reporter, total, message, on_progress) if total else None
        return total

    def features(
        self,
        requests: Sequence[tuple[Recording, np.ndarray]],
        reporter: Reporter | None = None,
        message: str = "computing clip features",
        on_progress: Callable[[int, int, float | None], None] | None = None,
        dtype: type = np.float32,
    ) -> list[np.ndarray | None]:
        """One (n, dim) array per request, or None where the recording cannot be read and
        nothing is cached for it (its name goes to ``stats.missing_recordings``). ``dtype``
        float16: as the cache holds them (every vector is rounded to it), for a caller that
        stores them as float16 again."""
        results: list[np.ndarray | None] = []
        todo: list[tuple[int, np.ndarray]] = []
        for i, (recording, starts) in enumerate(requests):
            starts = np.asarray(starts, np.float64)
            found, vectors = self.store.get(recording, starts, dtype)
            results.append(vectors)  # (n, 0) while the store is empty: sized by the backbone
            self.stats.cached += int(found.sum())
            if not found.all():
                todo.append((i, np.flatnonzero(~found)))
        total = sum(len(ix) for _, ix in todo)
        if total == 0:
            return results
        began = time.monotonic()
        progress = self._planned
        if progress is None or progress.done + total > progress.total:
            progress = _Progress(self, reporter, total, message, on_progress)
        if reporter is not None and progress.done == 0:
            reporter.update(
                0,
                progress.total,
                f"{progress.message} (backbone: {self.extractor.device.description})",
                stage="features",
                device=self.extractor.device.description,
            )
        self.extractor.load(reporter)
        pending: list[tuple[int, np.ndarray, np.ndarray]] = []  # (request, positions, images)
        unreadable = 0
        with blas_one_thread():  # see there: BLAS threads fought the engine for the cores
            inputs = Prefetch(self._inputs(requests, todo, reporter), depth=4)
            try:
                for i, positions, images, error in inputs:
                    if error is not None:
                        name = requests[i][0].path.name
                        self.stats.missing_recordings.append(f"{name}: {error.cause}")
                        results[i] = None
                        pending = [item for item in pending if item[0] != i]
                        progress.advance(len(positions))
                        unreadable += len(positions)
                        continue
                    pending.append((i, positions, images))
                    if sum(len(p) for _, p, _ in pending) >= self.chunk:
                        self._flush(pending, requests, results, reporter, progress)
                self._flush(pending, requests, results, reporter, progress)
            finally:
                inputs.close()
                self._writes.flush()  # cancelled or failed: what was computed is kept
        self.stats.computed += total - unreadable
        self.stats.seconds += time.monotonic() - began
        return results

    def _inputs(
        self,
        requests: Sequence[tuple[Recording, np.ndarray]],
        todo: list[tuple[int, np.ndarray]],
        reporter: Reporter | None,
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray | None, AudioError | None]]:
        """(request, positions, inputs, None) piece by piece, or (request, its missing
        positions, None, error) for a recording that cannot be read. Runs in the prefetch
        thread: the next inputs are drawn while the backbone embeds the last ones."""
        for i, missing in todo:
            recording, starts = requests[i]
            try:
                for positions, images in self._images(recording, starts, missing, reporter):
                    yield i, positions, images, None
            except AudioError as exc:
                yield i, missing, None, exc

    def _images(
        self,
        recording: Recording,
        starts: np.ndarray,
        missing: np.ndarray,
        reporter: Reporter | None,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The backbone's inputs (clip images, or audio) for the missing windows of one
        recording, a chunk at a time."""
        from model.audio import AudioFile

        starts = np.asarray(starts, np.float64)
        audio = AudioFile(recording.path)
        try:
            for begin in range(0, len(missing), self.chunk):
                positions = missing[begin : begin + self.chunk]
                yield (
                    positions,
                    self.extractor.inputs(audio, starts[positions], self.settings, reporter),
                )
        finally:
            audio.close()

    def _flush(
        self,
        pending: list[tuple[int, np.ndarray, np.ndarray]],
        requests: Sequence[tuple[Recording, np.ndarray]],
        results: list[np.ndarray | None],
        reporter: Reporter | None,
        progress: _Progress,
    ) -> None:
        """Embeds the pending images of possibly several recordings in full batches, then
        stores each recording's part (committed at once: a killed worker keeps it)."""
        if not pending:
            return
        images = np.concatenate([item[2] for item in pending])
        vectors = as_stored(self.extractor.embed(images, reporter))
        offset = 0
        for i, positions, _ in pending:
            part = vectors[offset : offset + len(positions)]
            offset += len(positions)
            recording, starts = requests[i]
            self._writes.add(recording, np.asarray(starts, np.float64)[positions], part)
            target = results[i]
            if target is not None and target.shape[1] != part.shape[1]:
                # nothing was cached, so every row comes from the backbone
                target = results[i] = np.zeros((len(starts), part.shape[1]), target.dtype)
            if target is not None:
                target[positions] = part
        progress.advance(len(images))
        pending.clear()


class _Writes:
    """Computed vectors waiting to be cached: written in pieces of ``WRITE_ROWS`` or every
    ``WRITE_EVERY_S`` seconds, so the cache gets few, large files and a killed worker loses
    seconds of backbone work, not the recording."""

    def __init__(self, source: FeatureSource) -> None:
        self.source = source
        self.pending: dict[int, tuple[Recording, list[np.ndarray], list[np.ndarray]]] = {}
        self.rows = 0
        self.last = time.monotonic()

    def add(self, recording: Recording, starts: np.ndarray, vectors: np.ndarray) -> None:
        entry = self.pending.setdefault(recording.id, (recording, [], []))
        entry[1].append(starts)
        entry[2].append(vectors)
        self.rows += len(starts)
        if self.rows >= WRITE_ROWS or time.monotonic() - self.last >= WRITE_EVERY_S:
            self.flush()

    def flush(self) -> None:
        pending, self.pending, self.rows = self.pending, {}, 0
        self.last = time.monotonic()
        for recording, starts, vectors in pending.values():
            if self.source.stats.cache_errors:
                return  # told once; the job goes on from memory
            try:
                self.source.store.put(recording, np.concatenate(starts), np.concatenate(vectors))
            except ProjectError as exc:
                self.source.stats.cache_errors.append(exc.cause)


class _Progress:
    def __init__(
        self,
        source: FeatureSource,
        reporter: Reporter | None,
        total: int,
        message: str,
        on_progress: Callable[[int, int, float | None], None] | None,
    ) -> None:
        self.source = source
        self.reporter = reporter
        self.total = total
        self.message = message
        self.on_progress = on_progress
        self.done = 0
        self.started = time.monotonic()

    def advance(self, count: int) -> None:
        self.done += count
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else None
        eta = (self.total - self.done) / rate if rate else None
        if self.on_progress is not None:
            self.on_progress(self.done, self.total, eta)
        if self.reporter is not None:
            self.reporter.update(
                self.done,
                self.total,
                f"{self.message}: {self.done}/{self.total} clips",
                stage="features",
                clips_per_s=rate,
                eta_s=eta,
                device=self.source.extractor.device.description,
            )
