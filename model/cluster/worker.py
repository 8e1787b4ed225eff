"""A cluster worker: a Ray actor holding one loaded scoring engine, fed chunks of files.

The actor is the unit that keeps the backbone loaded (compiling ResNet50 costs seconds; a
worker scores thousands of files with one), and a chunk is scored as one stream through
``ScoringEngine.score``, so windows of short files share batches exactly as in a local run.
Workers read the audio themselves, from the path the driver found it under: every node must
see the recordings at the same path (a shared file system), and only score arrays travel back.

A CPU worker runs OpenVINO on its share of the node's cores (``SONOTAG_CPU_THREADS``, which
the OpenVINO runtime honours); a worker given a GPU by Ray runs the backbone on it through
Keras, the engine Sonotag uses on NVIDIA GPUs. ``status`` answers from its own concurrency
group while a chunk is being scored, so the driver can show what each worker is doing.

This module imports Ray at the top: it is only imported once a cluster run starts.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import ray

from model.errors import SonotagError

THREADS_ENV = "SONOTAG_CPU_THREADS"

#: One chunk's result per file: (index in the run, window starts, scores, error in words).
Scored = tuple[int, np.ndarray, "np.ndarray | None", "str | None"]


class ScoringWorker:
    """One model, loaded once; ``score`` takes a chunk of (index, path, seconds) and returns
    each file's scores (or its error), in the chunk's order."""

    def __init__(
        self, model_path: str, hop: float, allow_download: bool, threads: int, gpu: bool
    ) -> None:
        self.model_path = model_path
        self.hop = hop
        self.allow_download = allow_download
        self.threads = max(1, int(threads))
        self.gpu = gpu
        self.engine: Any = None
        self.lock = threading.Lock()
        self.state: dict[str, Any] = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "stage": "starting",
            "file": "",
            "fraction": 0.0,
            "files_done": 0,
            "audio_done_s": 0.0,
            "device": "",
        }
        self._chunk_seconds: dict[int, float] = {}
        self._fractions: dict[int, float] = {}

    def load(self) -> dict[str, Any]:
        """Builds the engine (once per process: a restarted worker loads again on its first
        chunk). Raises SonotagError with the cause, e.g. weights missing on this node."""
        with self.lock:
            self._load()
        return dict(self.state)

    def _load(self) -> None:
        if self.engine is not None:
            return
        from model.ml.bundle import load_bundle
        from model.ml.engine import OPENVINO, openvino_usable
        from model.ml.scoring import engine_for

        self.state["stage"] = "loading the model"
        if not self.gpu:
            os.environ[THREADS_ENV] = str(self.threads)
        # Without a GPU of its own a worker on a GPU node still uses OpenVINO (Ray hides the
        # GPUs from it; the engine's own choice would see the driver and pick Keras).
        engine = OPENVINO if not self.gpu and openvino_usable() is None else None
        bundle = load_bundle(self.model_path)
        scoring = engine_for(
            bundle, hop=self.hop, allow_download=self.allow_download, engine=engine
        )
        scoring.load()
        self.engine = scoring
        self.state.update(stage="idle", device=scoring.description)

    def score(self, chunk: list[tuple[int, str, float]]) -> list[Scored]:
        from model.ml.scoring import FileJob

        with self.lock:
            self._load()
            self._chunk_seconds = {index: seconds for index, _, seconds in chunk}
            self._fractions = {}
            self.state.update(stage="scoring", file=Path(chunk[0][1]).name, fraction=0.0)
            out: list[Scored] = []
            try:
                jobs = (FileJob(Path(path), key=(index, path)) for index, path, _ in chunk)
                for result in self.engine.score(jobs, None, self._progress):
                    index, path = result.job.key
                    out.append((index, result.starts, result.scores, result.error))
                    self._fractions.pop(index, None)
                    self.state["files_done"] += 1
                    self.state["audio_done_s"] += self._chunk_seconds.get(index, 0.0)
                    self._show_first_open(chunk, len(out))
            finally:
                self.state.update(stage="idle", file="", fraction=0.0)
                self._chunk_seconds, self._fractions = {}, {}
            return out

    def _progress(self, job: Any, done: int, total: int) -> None:
        index, path = job.key
        self._fractions[index] = done / total if total else 1.0
        if Path(path).name == self.state["file"]:
            self.state["fraction"] = self._fractions[index]

    def _show_first_open(self, chunk: list[tuple[int, str, float]], finished: int) -> None:
        if finished < len(chunk):
            index, path, _ = chunk[finished]
            self.state.update(file=Path(path).name, fraction=self._fractions.get(index, 0.0))

    @ray.method(concurrency_group="status")
    def status(self) -> dict[str, Any]:
        """What this worker is doing, with the audio seconds of the chunk in flight scored so
        far (the driver's ETA counts them)."""
        partial = sum(
            self._chunk_seconds.get(index, 0.0) * fraction
            for index, fraction in list(self._fractions.items())
        )
        return {**self.state, "partial_s": partial, "time": time.time()}


def remote_class(max_restarts: int) -> Any:
    """The actor class: restarted by Ray after a crash (the driver re-sends the lost chunk),
    never retrying a call by itself (the driver decides what runs again and where)."""
    return ray.remote(
        concurrency_groups={"status": 1}, max_restarts=max_restarts, max_task_retries=0
    )(ScoringWorker)


def check_loaded(result: Any) -> dict[str, Any]:
    if not isinstance(result, dict):
        raise SonotagError(None, "a cluster worker answered with something unexpected")
    return result
