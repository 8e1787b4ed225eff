"""Latency from "retrain" to updated scores, features already cached.

Builds a project with one hour of audio (6 recordings of 10 minutes) and 500 labels over 5
classes, fills its feature cache with class-dependent synthetic vectors for every labelled
window and every scoring window (hop 1 s: 3,594 windows), then times ``train_job``: reading the
cache, training the head with early stopping, held-out metrics, writing the bundle, and scoring
and storing all windows. The audio is never read on this path, so the recordings are
registered without files. Timed three ways:

- in this process, first run (Keras traces its training graphs),
- in this process, later runs (a worker that stays alive between retrains),
- in a freshly spawned worker process (what ``ProcessJob`` costs: interpreter + TensorFlow),
- in the GUI's warm worker process (``WorkerProcess``), first and second retrain.

Wall time on a shared machine is noisy; CPU time (all threads of this process) is printed too.

    .venv/bin/python bench/bench_retrain.py [--labels 500] [--hours 1] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.clips import ClipSettings, window_starts  # noqa: E402
from model.jobs import ProcessJob, WorkerProcess, run_inline  # noqa: E402
from model.ml.backbone import BackboneSpec, FeatureExtractor  # noqa: E402
from model.ml.dataset import build_examples  # noqa: E402
from model.ml.train import train_job  # noqa: E402
from model.project import LabelState, Project  # noqa: E402
from model.project.feature_cache import FeatureStore  # noqa: E402

CLASSES = ("wren", "robin", "frog", "owl", "cricket")
RATE = 22050


def build(folder: Path, hours: float, labels: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    path = folder / "bench.sonotag"
    settings = ClipSettings()
    key = FeatureExtractor(BackboneSpec.untrained()).cache_key
    fp = settings.fingerprint()
    prototypes = rng.normal(0, 1.0, (len(CLASSES), 2048)).astype(np.float32)
    with Project.create(path) as project:
        store = FeatureStore.for_project(project, key, fp)
        ids = [project.add_class(name).id for name in CLASSES]
        duration = 600.0
        recordings = []
        for index in range(round(hours * 3600 / duration)):
            info = SimpleNamespace(
                sample_rate=RATE, channels=1, frames=int(duration * RATE), duration=duration
            )
            recordings.append(
                project.add_recording(
                    folder / f"rec{index}.wav", info=info, fingerprint=f"f{index}"
                )
            )
        for _ in range(labels):
            rec = recordings[int(rng.integers(len(recordings)))]
            start = round(float(rng.uniform(0, duration - 2)), 3)
            length = float(rng.uniform(0.3, 1.5))
            state = rng.choice(
                [LabelState.PRESENT, LabelState.ABSENT, LabelState.UNCERTAIN], p=[0.8, 0.15, 0.05]
            )
            project.put_label(rec.id, start, start + length, int(rng.choice(ids)), state)
        examples = build_examples(
            project.labels(),
            project.classes(),
            {r.id: r.duration for r in recordings},
            settings.clip_seconds,
        )
        for rec in recordings:
            rows = examples.recording_ids == rec.id
            positive = (examples.targets[rows] == 1).astype(np.float32)
            vectors = np.maximum(
                0, rng.normal(0, 1, (int(rows.sum()), 2048)) + 0.6 * positive @ prototypes
            )
            store.put(rec, examples.starts[rows], vectors)
            starts = window_starts(rec.duration, settings.clip_seconds, 1.0)
            noise = np.maximum(0, rng.normal(0, 1, (len(starts), 2048)))
            store.put(rec, starts, noise)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=500)
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3, help="in-process runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sonotag-bench-") as tmp:
        started = time.perf_counter()
        path = build(Path(tmp), args.hours, args.labels)
        with Project.open(path, read_only=True) as project:
            windows = sum(len(window_starts(r.duration)) for r in project.recordings())
        print(
            f"project: {args.hours:g} h of audio, {args.labels} labels, {windows} scoring "
            f"windows; built in {time.perf_counter() - started:.1f} s; {os.cpu_count()} CPUs"
        )
        for run in range(1, args.runs + 1):
            started, cpu = time.perf_counter(), time.process_time()
            result = run_inline(train_job, str(path), untrained_backbone=True)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            assert result["features"]["computed"] == 0, "the backbone ran"
            print(
                f"in-process run {run}: {wall:.2f} s wall, {cpu:.2f} s CPU "
                f"(epochs {result['history']['epochs_run']}, "
                f"mAP {result['metrics']['map']:.3f}, scored {result['scoring']['windows']} "
                f"windows) phases: {result['timings']}"
            )
        started = time.perf_counter()
        job = ProcessJob(
            "model.ml.train:train_job", project_path=str(path), untrained_backbone=True
        )
        final = job.start().wait()
        wall = time.perf_counter() - started
        assert final.kind == "done", final.error
        print(
            f"spawned worker: {wall:.2f} s in all; inside the job {final.result['seconds']:.2f} s "
            f"-> process start-up {wall - final.result['seconds']:.2f} s; phases in the job "
            f"(prepare_s includes importing TensorFlow): {final.result['timings']}"
        )
        # What the GUI does: one warm worker process (app.jobs.JobRunner) runs every retrain.
        worker = WorkerProcess()
        try:
            for run in range(1, 3):
                started = time.perf_counter()
                final = (
                    worker.job(
                        "model.ml.train:train_job", project_path=str(path), untrained_backbone=True
                    )
                    .start()
                    .wait()
                )
                assert final.kind == "done", final.error
                print(
                    f"warm worker run {run}: {time.perf_counter() - started:.2f} s from submit "
                    f"to scores stored (run 1 includes starting the worker and TensorFlow); "
                    f"job {final.result['seconds']:.2f} s, phases {final.result['timings']}"
                )
        finally:
            worker.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
