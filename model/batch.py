"""Scoring folders of recordings outside a project, resumable and robust to bad files.

A season of AudioMoth cards is thousands of files and hours of CPU; a laptop lid closed, a
Ctrl+C or a crash must not cost the files already done. So every finished file is written at
once (atomic rename: a table is complete or absent) and appended to a state log in the output
folder, keyed by the file (absolute path, size, modification time) and the run's settings (the
model file's fingerprint, hop, format, threshold). Running the same batch again skips what is
done; changing the model or a setting re-scores. The log is JSON Lines rather than one JSON
document so that each finished file costs one appended line, not a rewrite of the whole state:
a card of 10,000 short bat files would otherwise rewrite megabytes after every file. A torn
last line (killed mid-write) is simply ignored, and the log is compacted at each start.

A file that cannot be read never stops the run: it is listed with its cause in ``errors.csv``
and in the result. The ETA follows audio seconds, not file counts, because one field folder
mixes 1-minute tests with 12-hour nights.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Re-exported (``X as X``): the CLI and the tests use these through ``model.batch``.
from model.batch_outputs import ERRORS_FILE as ERRORS_FILE
from model.batch_outputs import FORMATS as FORMATS
from model.batch_outputs import STATE_FILE as STATE_FILE
from model.batch_outputs import assign_outputs as assign_outputs
from model.batch_outputs import atomic_write as atomic_write
from model.batch_outputs import write_detections as write_detections
from model.batch_outputs import write_errors as write_errors
from model.batch_progress import Live
from model.batch_progress import Throughput as Throughput
from model.clips.geometry import DEFAULT_CLIP_SECONDS
from model.clips.settings import ClipSettings
from model.errors import SonotagError
from model.jobs import Reporter
from model.ml.scoring.engine import FileJob, FileResult, ScoringEngine
from model.pathtext import resolved

STATE_VERSION = 1
#: Windows closer than this are not worth scoring (a 2-s clip scored twenty times over); a hop
#: of 0.0001 s would turn a night of audio into weeks of work.
MIN_HOP = 0.1


@dataclass
class BatchFile:
    """One recording of the batch and where its table goes (relative to the output folder)."""

    path: Path  # absolute
    root: Path | None  # the input folder it was found under; None when named on its own
    size: int = 0
    mtime_ns: int = 0
    output: str = ""
    duration: float = 0.0

    @property
    def key(self) -> str:
        return str(self.path)


def expand_batch_inputs(
    inputs: Iterable[str | Path],
) -> tuple[list[BatchFile], list[tuple[str, str]]]:
    """Audio files named or found below the input folders (with the folder each came from, so
    results can mirror the folder tree), plus inputs that do not exist."""
    from model.ingest import walk_inputs

    found, missing = walk_inputs(inputs)
    files = [BatchFile(resolved(path), root) for path, root in found]
    return files, [(str(path), cause) for path, cause in missing]


def run_key(model_path: str | Path, hop: float, fmt: str, threshold: float) -> str:
    """Identity of what a finished file was scored with; any change means score it again."""
    from model.audio import content_fingerprint

    text = json.dumps(
        {
            "model": content_fingerprint(model_path),
            "hop": float(hop),
            "format": fmt,
            "threshold": float(threshold),
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class BatchState:
    """The append-only log of finished and failed files in an output folder."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / STATE_FILE
        self.entries: dict[str, dict[str, Any]] = {}
        if self.path.is_file():
            with self.path.open(encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue  # a line torn by a kill mid-write
                    if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                        self.entries[entry["path"]] = entry
        self._rewrite()
        try:
            self._log = self.path.open("a", encoding="utf-8")
        except OSError as exc:
            raise SonotagError(self.path, f"cannot write the file ({exc.strerror})") from None

    def _rewrite(self) -> None:
        lines = [json.dumps({"format": "sonotag-batch", "version": STATE_VERSION})]
        lines += [json.dumps(entry) for entry in self.entries.values()]
        atomic_write(self.path, lambda part: part.write_text("\n".join(lines) + "\n", "utf-8"))

    def finished(self, item: BatchFile, key: str, out_dir: Path) -> dict[str, Any] | None:
        """The entry of a file done with these settings whose table is still there."""
        entry = self.entries.get(item.key)
        if (
            entry is None
            or entry.get("status") != "done"
            or entry.get("run") != key
            or entry.get("size") != item.size
            or entry.get("mtime_ns") != item.mtime_ns
            or not (out_dir / str(entry.get("output", ""))).is_file()
        ):
            return None
        return entry

    def record(self, item: BatchFile, key: str, status: str, **data: Any) -> None:
        entry = {
            "path": item.key,
            "size": item.size,
            "mtime_ns": item.mtime_ns,
            "run": key,
            "status": status,
            "output": item.output,
            **data,
        }
        self.entries[item.key] = entry
        self._log.write(json.dumps(entry) + "\n")
        self._log.flush()
        os.fsync(self._log.fileno())

    def close(self) -> None:
        self._log.close()


def batch_predict_job(
    reporter: Reporter,
    model_path: str,
    inputs: list[str],
    out_dir: str,
    *,
    hop: float = 1.0,
    fmt: str = "csv",
    threshold: float = 0.5,
    allow_download: bool = True,
    cluster: str | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Job: one detection table per audio file under ``out_dir``; resumes an earlier run.

    ``cluster`` (``"auto"`` or an address) scores on a Ray cluster (``model.cluster``) with
    ``workers`` actors (None: one per node and one per GPU); everything else is this job's."""
    from model.ml.bundle import read_manifest

    if fmt not in FORMATS:
        raise SonotagError(None, f"unknown table format {fmt!r} (use {', '.join(FORMATS)})")
    if cluster is not None:
        from model.cluster import require

        require()  # before any work: the extra is missing
    if workers is not None and workers < 1:
        raise SonotagError(None, f"the number of cluster workers must be at least 1, not {workers}")
    if not 0.0 <= threshold <= 1.0:  # also refuses NaN
        raise SonotagError(None, f"the threshold must be between 0 and 1, not {threshold}")
    reporter.update(0, None, "finding recordings", stage="finding")
    manifest = read_manifest(model_path)  # a wrong model file fails before any work
    longest = float(manifest["clip_settings"].get("clip_seconds", 2.0))
    if not MIN_HOP <= hop <= longest:  # also refuses NaN and infinity
        raise SonotagError(
            None, f"the hop must be {MIN_HOP:g} s to the model's clip length ({longest:g} s)"
        )
    files, missing = expand_batch_inputs(inputs)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SonotagError(out, f"cannot create the output folder ({exc.strerror})") from None
    key = run_key(model_path, hop, fmt, threshold)
    clip_seconds = ClipSettings.from_dict(manifest["clip_settings"]).clip_seconds  # validated
    run = _Run(reporter, BatchState(out), key, out, model_path, hop, fmt, threshold)
    run.clip_seconds, run.allow_download = clip_seconds, allow_download
    run.cluster, run.workers = cluster, workers
    run.total, run.failed = len(files), list(missing)
    try:
        run.score(run.select(files))
    finally:
        run.state.close()
        errors_file = write_errors(out, run.failed)
    return {
        "out_dir": str(out),
        "files_total": len(files),
        "done": run.done,
        "skipped": run.skipped,
        "failed": run.failed,
        "warnings": run.warned,
        "detections": run.detections,
        "clips": run.meter.clips,
        "clips_per_s": run.meter.figures()["clips_per_s"],
        "engine": run.engine_text,
        "seconds": round(time.monotonic() - run.started, 3),
        "errors_file": str(errors_file),
        "state_file": str(run.state.path),
    }


@dataclass
class _Run:
    """One run of a batch: its settings, the state log and the tallies so far."""

    reporter: Reporter
    state: BatchState
    key: str
    out: Path
    model_path: str
    hop: float
    fmt: str
    threshold: float
    clip_seconds: float = DEFAULT_CLIP_SECONDS
    allow_download: bool = True
    total: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    warned: list[tuple[str, str]] = field(default_factory=list)  # scored, but damaged
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    processed: int = 0  # done + failed + skipped: the "files done" figure
    detections: int = 0
    meter: Throughput = field(default_factory=lambda: Throughput(0.0))
    started: float = field(default_factory=time.monotonic)
    engine_text: str = ""
    bundle: Any = None
    cluster: str | None = None  # a Ray cluster's address (or "auto") scores instead
    workers: int | None = None

    def fail(self, item: BatchFile, cause: str) -> None:
        self.failed.append((item.key, cause))
        self.state.record(item, self.key, "failed", cause=cause)
        self.processed += 1

    def select(self, files: list[BatchFile]) -> list[BatchFile]:
        """The files still to score, with their lengths; finished ones are skipped and
        unreadable ones failed here (reading a header is cheap; scoring is not)."""
        from model.audio import probe

        assign_outputs(files, self.fmt, self.state, self.key, self.out)
        todo: list[BatchFile] = []
        for index, item in enumerate(files):
            if index % 20 == 0:
                self.reporter.update(
                    self.processed, self.total, f"checking {item.path.name}", stage="checking"
                )
            try:
                stat = item.path.stat()
                item.size, item.mtime_ns = stat.st_size, stat.st_mtime_ns
                if self.state.finished(item, self.key, self.out) is not None:
                    self.skipped.append(item.key)
                    self.processed += 1
                    continue
                info = probe(item.path)
                item.duration = info.duration
                if info.warning:  # cut short or NaN samples: scored where readable, and said
                    self.warned.append((item.key, info.warning))
            except SonotagError as exc:
                self.fail(item, exc.cause)
                continue
            except OSError as exc:
                self.fail(item, f"cannot read the file ({exc.strerror or exc})")
                continue
            todo.append(item)
        self.meter.audio_total_s = sum(item.duration for item in todo)
        return todo

    def score(self, todo: list[BatchFile]) -> None:
        """Scores ``todo`` through one ``ScoringEngine``: files overlap in the pipeline (the
        next file is read while this one's last batch is embedded, short files share
        batches), and each is written and logged the moment its last window is scored."""
        if todo and self.cluster is not None:
            self._score_on_cluster(todo)
        elif todo:
            engine = self._engine()
            live = Live(self, engine.description, todo)

            def loaded() -> None:
                self.meter.start()  # clips/s of the scoring, not of building the model
                live.report()

            jobs = (FileJob(item.path, key=item) for item in todo)
            for result in engine.score(jobs, self.reporter, live.advance, on_loaded=loaded):
                self._write(result)
                self.meter.audio_done_s += result.job.key.duration
                live.finished(result.job.key)
        self.reporter.update(
            self.total,
            self.total,
            f"{len(self.done)} scored, {len(self.skipped)} already done, {len(self.failed)} failed",
            stage="done",
            failed=len(self.failed),
            engine=self.engine_text,
            **self.meter.figures(),
        )

    def _score_on_cluster(self, todo: list[BatchFile]) -> None:
        """Workers score, this process writes (``model.cluster.driver``); failures are then
        listed in the files' order, as a local run lists them, whatever order they came in."""
        from model.cluster.driver import ClusterScoring
        from model.ml.bundle import Bundle, read_manifest

        # The tables need the class names and clip settings only: the workers load the model.
        self.bundle = Bundle(Path(self.model_path), read_manifest(self.model_path))
        order = {item.key: number for number, item in enumerate(todo)}
        try:
            ClusterScoring(self, self.cluster or "auto", self.workers).score(todo)
        finally:
            self.failed.sort(key=lambda failure: order.get(failure[0], -1))

    def _engine(self) -> ScoringEngine:
        """The model, built as scoring starts (``ScoringEngine.score`` loads it while the
        first files are read) and before the first result: a model that cannot run (no
        weights offline) fails the job once rather than every file."""
        from model.ml.bundle import load_bundle
        from model.ml.scoring import engine_for

        self.reporter.update(self.processed, self.total, "loading the model", stage="loading")
        self.bundle = load_bundle(self.model_path)
        engine = engine_for(self.bundle, hop=self.hop, allow_download=self.allow_download)
        self.engine_text = engine.description
        self.reporter.update(
            self.processed,
            self.total,
            f"scoring on {engine.description}",
            stage="loading",
            engine=engine.description,
        )
        return engine

    def _write(self, result: FileResult) -> None:
        item: BatchFile = result.job.key
        try:
            if result.error is not None:
                raise SonotagError(item.path, result.error)
            count = write_detections(
                self.out / item.output,
                self.fmt,
                item.path,
                result.starts,
                result.scores,
                self.bundle,
                self.threshold,
            )
        except SonotagError as exc:
            self.fail(item, exc.cause)
            return
        self.state.record(item, self.key, "done", detections=count, clips=len(result.starts))
        self.done.append(item.key)
        self.detections += count
        self.meter.clips += len(result.starts)
        self.processed += 1
