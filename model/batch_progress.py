"""Progress of a batch run: clips/s and an ETA from audio seconds, while files overlap.

The ETA follows audio seconds, not file counts, because one field folder mixes 1-minute tests
with 12-hour nights; with several files in the scoring pipeline at once, each one's scored
fraction counts.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from model.clips.batch import window_starts

if TYPE_CHECKING:
    from model.batch import BatchFile
    from model.ml.scoring.engine import FileJob


class Throughput:
    """clips/s and an ETA from audio seconds done so far in this run (not file counts)."""

    def __init__(self, audio_total_s: float) -> None:
        self.audio_total_s = audio_total_s
        self.audio_done_s = 0.0
        self.clips = 0
        self.started: float | None = None

    def start(self) -> None:
        if self.started is None:
            self.started = time.monotonic()

    def figures(self, extra_audio_s: float = 0.0, extra_clips: int = 0) -> dict[str, Any]:
        elapsed = time.monotonic() - self.started if self.started is not None else 0.0
        audio = self.audio_done_s + extra_audio_s
        clips = self.clips + extra_clips
        rate = audio / elapsed if elapsed > 0 and audio > 0 else None
        return {
            "clips_per_s": clips / elapsed if elapsed > 0 and clips > 0 else None,
            "eta_s": max(0.0, self.audio_total_s - audio) / rate if rate else None,
            "audio_done_s": round(audio, 3),
            "audio_total_s": round(self.audio_total_s, 3),
        }


class Live:
    """Progress while files overlap in the pipeline: the fraction of each file in flight
    counts towards audio done, the first unfinished file names the line; at most a few
    reports a second (a report per batch would flood a GUI's event queue)."""

    EVERY_S = 0.25

    def __init__(self, run: Any, engine: str, todo: list[BatchFile]) -> None:
        self.run = run
        self.engine = engine
        self.todo = todo
        self.next = 0  # results handed out so far: todo[next] is the first unfinished file
        self.fractions: dict[str, tuple[BatchFile, float]] = {}
        self.last = 0.0

    def advance(self, job: FileJob, done: int, total: int) -> None:
        item: BatchFile = job.key
        self.fractions[item.key] = (item, done / total if total else 1.0)
        now = time.monotonic()
        if now - self.last >= self.EVERY_S:
            self.last = now
            self.report()

    def finished(self, item: BatchFile) -> None:
        """After ``item``'s result is written: the next file's line."""
        self.fractions.pop(item.key, None)
        self.next += 1
        if self.next < len(self.todo):
            self.report()

    def report(self) -> None:
        run = self.run
        audio = sum(item.duration * f for item, f in self.fractions.values())
        clips = sum(
            int(f * len(window_starts(item.duration, run.clip_seconds, run.hop)))
            for item, f in self.fractions.values()
        )
        current = self.todo[min(self.next, len(self.todo) - 1)]
        run.reporter.update(
            run.processed,
            run.total,
            f"{current.path.name} ({run.processed + 1} of {run.total})",
            stage="scoring",
            file=current.key,
            failed=len(run.failed),
            engine=self.engine,
            **run.meter.figures(audio, clips),
        )
