"""Latency from "retrain" to updated scores, then to the model's held-out figures; features cached.

Builds a project with one hour of audio (6 recordings of 10 minutes) and 500 labels over 5
classes, fills its feature cache with class-dependent synthetic vectors for every labelled
window and every scoring window (hop 1 s: 3,594 windows), then times the two jobs the GUI runs
one after the other:

- ``train_job(evaluate=False)``: reading the cache, fitting the head that is kept, writing the
  bundle, and scoring and storing all windows: the model is in use after this;
- ``evaluate_model_job``: the k folds by recording on the same windows (from the cache), the
  figures stored in the model's record and bundle.

The linear head's fit on the training windows is also timed on its own (per class). Each is
timed in this process (first run traces Keras' graphs; later runs: a worker that stays alive
between retrains), in the GUI's warm worker process (``WorkerProcess``), and the evaluation in
a freshly spawned process too (where the GUI runs it while the warm worker re-scores).

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
from model.ml import backbones  # noqa: E402
from model.ml.dataset import build_examples  # noqa: E402
from model.ml.evaluation import evaluate_model_job  # noqa: E402
from model.ml.train import train_job  # noqa: E402
from model.project import LabelState, Project  # noqa: E402
from model.project.feature_cache import FeatureStore  # noqa: E402

CLASSES = ("wren", "robin", "frog", "owl", "cricket")
RATE = 22050


def build(folder: Path, hours: float, labels: int, seed: int = 0, audio: bool = False) -> Path:
    """The project; ``audio`` writes each recording as a real (quiet noise) WAV file, for the
    window to open (``bench_retrain_gui.py``), instead of recordings known by their length."""
    rng = np.random.default_rng(seed)
    path = folder / "bench.sonotag"
    settings = ClipSettings()
    key = backbones.create(backbones.UNTRAINED).cache_key
    fp = settings.fingerprint()
    prototypes = rng.normal(0, 1.0, (len(CLASSES), 2048)).astype(np.float32)
    with Project.create(path) as project:
        store = FeatureStore.for_project(project, key, fp)
        ids = [project.add_class(name).id for name in CLASSES]
        duration = 600.0
        recordings = []
        for index in range(round(hours * 3600 / duration)):
            wav = folder / f"rec{index}.wav"
            if audio:
                _write_noise(wav, duration, rng)
                recordings.append(project.add_recording(wav))
                continue
            info = SimpleNamespace(
                sample_rate=RATE, channels=1, frames=int(duration * RATE), duration=duration
            )
            recordings.append(project.add_recording(wav, info=info, fingerprint=f"f{index}"))
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


def _write_noise(path: Path, seconds: float, rng: np.random.Generator) -> None:
    import soundfile as sf

    with sf.SoundFile(path, "w", RATE, 1, "PCM_16") as out:
        for _ in range(round(seconds / 60)):
            out.write((0.003 * rng.standard_normal(60 * RATE)).astype(np.float32))


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown"


def _fold_text(metrics: dict) -> str:
    folds = (metrics.get("split") or {}).get("per_fold") or []
    return "folds " + ", ".join(f"{f.get('seconds', 0):.2f}" for f in folds) + " s"


def time_linear_fit(path: Path) -> None:
    """The head that is kept, fitted alone on the cached training features."""
    from model.ml.features import FeatureSource, clip_settings_of
    from model.ml.head import HeadConfig
    from model.ml.linear_head import fit_linear_weights, tuning_folds
    from model.ml.train import labelled_features

    with Project.open(path) as project:
        recordings = {r.id: r for r in project.recordings()}
        chosen = backbones.create(backbones.UNTRAINED)
        source = FeatureSource(project, clip_settings_of(project), chosen)
        examples, features, _ = labelled_features(project, source, recordings, _Quiet())
    for run in range(2):
        started = time.perf_counter()
        folds = tuning_folds(examples)  # each class's C chosen on them, as training does
        fit_linear_weights(features, examples.targets, HeadConfig(), folds=folds)
        wall = time.perf_counter() - started
        classes = examples.targets.shape[1]
        print(
            f"linear head fit {run + 1}: {features.shape[0]} x {features.shape[1]} features, "
            f"{classes} classes: {wall:.2f} s ({wall / classes:.3f} s per class)"
        )


class _Quiet:
    def update(self, *args: object, **kwargs: object) -> None:
        pass

    def check(self) -> None:
        pass


def in_process(path: Path, runs: int) -> None:
    for run in range(1, runs + 1):
        started, cpu = time.perf_counter(), time.process_time()
        result = run_inline(train_job, str(path), untrained_backbone=True, evaluate=False)
        usable, cpu_usable = time.perf_counter() - started, time.process_time() - cpu
        assert result["features"]["computed"] == 0, "the backbone ran"
        done = run_inline(evaluate_model_job, str(path), **result["evaluation"])
        figures, cpu_all = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"in-process run {run}: scores stored after {usable:.2f} s ({cpu_usable:.2f} s CPU; "
            f"scored {result['scoring']['windows']} windows), figures after {figures:.2f} s "
            f"({cpu_all:.2f} s CPU; evaluation {done['seconds']:.2f} s, "
            f"{_fold_text(done['metrics'])}, mAP {done['metrics']['map']:.3f}); "
            f"train phases {result['timings']}"
        )


def warm_worker(path: Path) -> None:
    """What the GUI does: one warm worker process (app.jobs.JobRunner) runs every retrain;
    the evaluation goes to a fresh process when the warm one is busy re-scoring."""
    worker = WorkerProcess()
    try:
        for run in range(1, 3):
            started = time.perf_counter()
            final = worker.job(
                "model.ml.train:train_job", project_path=str(path), untrained_backbone=True,
                evaluate=False,
            ).start().wait()  # fmt: skip
            assert final.kind == "done", final.error
            usable = time.perf_counter() - started
            request = final.result["evaluation"]
            evaluation = worker.job(
                "model.ml.evaluation:evaluate_model_job", project_path=str(path), **request
            ).start().wait()  # fmt: skip
            assert evaluation.kind == "done", evaluation.error
            print(
                f"warm worker run {run}: scores stored {usable:.2f} s from submit (run 1 "
                f"includes starting the worker and TensorFlow), figures "
                f"{time.perf_counter() - started:.2f} s; train phases {final.result['timings']}"
            )
        started = time.perf_counter()
        fresh = ProcessJob(
            "model.ml.evaluation:evaluate_model_job", project_path=str(path), **request
        ).start().wait()  # fmt: skip
        assert fresh.kind == "done", fresh.error
        wall = time.perf_counter() - started
        print(
            f"evaluation in a fresh process: {wall:.2f} s in all, {fresh.result['seconds']:.2f} s "
            f"inside the job -> process start-up {wall - fresh.result['seconds']:.2f} s"
        )
    finally:
        worker.close()


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
            f"CPU: {cpu_model()}, {os.cpu_count()} CPUs. Project: {args.hours:g} h of audio, "
            f"{args.labels} labels, {windows} scoring windows; built in "
            f"{time.perf_counter() - started:.1f} s"
        )
        time_linear_fit(path)
        in_process(path, args.runs)
        warm_worker(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
