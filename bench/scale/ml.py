"""Section "ml": the feature cache, retraining and re-scoring as the labelled data grows.

Rows (issue 18's table), each figure from a fresh process per code tree:

- feature cache size per clip and per audio hour (hop 1 s): the project file's growth before,
  the cache folder's size after;
- head retrain on 1k / 10k / 100k / 300k labelled clips with every feature cached: wall time of
  ``train_job`` without re-scoring (TensorFlow's import included) and the process's peak memory;
- ``build_examples`` (labels -> windows) with 10k / 20k / 40k labels in one recording;
- ``sonotag train`` with re-scoring, 3 / 28 / 84 one-hour recordings (10.8k / 101k / 302k
  windows), every feature cached: peak memory and wall time of the command.

Projects are built through each tree's own public API (``Project``, and the feature cache the
tree has: ``put_features`` in the file before, ``FeatureStore`` beside it after). Vectors are
synthetic: noise plus a per-class prototype for present classes, so the head has something to
learn and early stopping behaves as on real data. Audio is never read on these paths, so the
recordings are registered without files.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from scale.common import Code, Row, Settings, megabytes, run_probe, seconds

TITLE = "features, training and scoring"
CLASSES = ("wren", "robin", "frog", "owl", "cricket")
DIM = 2048
LABELS_PER_RECORDING = 1000
LABEL_SPACING_S = 3.5  # one 0.5-s call every 3.5 s: one window each, none overlapping
RESCORE_LABELS = 500


# ----------------------------------------------------------------- the tree's feature cache
def _untrained_cache_key() -> str:
    """The untrained ResNet50's cache key (precision included), from the tree's own API."""
    try:
        from model.ml import backbones
    except ImportError:
        from model.ml.backbone import BackboneSpec, FeatureExtractor

        return str(FeatureExtractor(BackboneSpec.untrained()).cache_key)
    return str(backbones.create(backbones.UNTRAINED).cache_key)


class _Cache:
    """Writes vectors into the tree's feature cache: a table in the file, or the folder."""

    def __init__(self, project: Any) -> None:
        from model.clips import ClipSettings

        self.project = project
        self.key = _untrained_cache_key()
        self.fingerprint = ClipSettings().fingerprint()
        try:
            from model.project.feature_cache import FeatureStore
        except ImportError:
            self.store = None
        else:
            self.store = FeatureStore.for_project(project, self.key, self.fingerprint)

    def put(self, recording: Any, starts: np.ndarray, vectors: np.ndarray) -> None:
        for begin in range(0, len(starts), 1024):  # as the feature source writes them
            part = slice(begin, begin + 1024)
            if self.store is not None:
                self.store.put(recording, starts[part], vectors[part])
            else:
                self.project.put_features(
                    self.key, self.fingerprint, recording.id, starts[part], vectors[part]
                )


def _info(duration: float) -> Any:
    return SimpleNamespace(
        sample_rate=22_050,
        channels=1,
        frames=int(duration * 22_050),
        duration=duration,
        start_time=datetime(2024, 4, 1, tzinfo=UTC),
        start_time_source=None,
        format="WAV",
    )


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def _windows(duration: float) -> np.ndarray:
    from model.clips import window_starts

    return window_starts(duration, 2.0, 1.0)


# ----------------------------------------------------------------- probes: cache size
def probe_cache_size(folder: str, hours: float) -> dict[str, Any]:
    from model.project import Project

    work = Path(folder)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    path = work / "size.sonotag"
    rng = np.random.default_rng(0)
    with Project.create(path) as project:
        recording = project.add_recording(work / "a.wav", _info(hours * 3600), "fp-size")
    empty = path.stat().st_size
    with Project.open(path) as project:
        starts = _windows(hours * 3600)
        vectors = rng.gamma(1.0, 1.0, (len(starts), DIM)).astype(np.float32)
        _Cache(project).put(recording, starts, vectors)
    grown = path.stat().st_size - empty + _du(path.with_name(path.name + "-wal"))
    cache = _du(path.with_name(path.name + "-cache"))
    total = grown + cache
    shutil.rmtree(work, ignore_errors=True)
    return {"clips": len(starts), "bytes": total, "in_file": grown, "in_folder": cache}


# ----------------------------------------------------------------- probes: building
def _labelled_project(path: Path, recordings: int, labels: int, duration: float) -> Any:
    """A project of ``recordings`` recordings with ``labels`` labels each, every labelled
    window's features cached; returns (project, recordings, class ids) open for more."""
    from model.ml.dataset import build_examples
    from model.project import LabelState, Project

    rng = np.random.default_rng(1)
    prototypes = rng.normal(0, 1.0, (len(CLASSES), DIM)).astype(np.float32)
    project = Project.create(path)
    cache = _Cache(project)
    with project.transaction():  # one commit: building, not fsyncs, is what this times
        ids = [project.add_class(name).id for name in CLASSES]
        recs = [
            project.add_recording(path.parent / f"rec{i:05d}.wav", _info(duration), f"fp{i}")
            for i in range(recordings)
        ]
        for rec in recs:
            calls = np.arange(labels) * LABEL_SPACING_S + 1.0
            kinds = rng.integers(0, len(CLASSES), labels)
            absent = rng.random(labels) < 0.15
            for start, kind, negative in zip(calls, kinds, absent, strict=True):
                state = LabelState.ABSENT if negative else LabelState.PRESENT
                project.put_label(rec.id, float(start), float(start) + 0.5, ids[kind], state)
    classes = project.classes()
    by_recording: dict[int, list[Any]] = {}
    for label in project.labels():
        by_recording.setdefault(label.recording_id, []).append(label)
    for rec in recs:
        examples = build_examples(by_recording[rec.id], classes, {rec.id: duration}, 2.0)
        positive = (examples.targets == 1).astype(np.float32)
        noise = rng.normal(0, 1, (len(examples), DIM)).astype(np.float32)
        cache.put(rec, examples.starts, np.maximum(0, noise + 0.6 * positive @ prototypes))
    return project, recs


def probe_build_retrain(folder: str, clips: int) -> dict[str, Any]:
    began = time.perf_counter()
    path = Path(folder) / "retrain.sonotag"
    path.parent.mkdir(parents=True, exist_ok=True)
    per = min(clips, LABELS_PER_RECORDING)
    duration = per * LABEL_SPACING_S + 10
    project, _ = _labelled_project(path, clips // per, per, duration)
    project.close()
    return _built(path, began)


def probe_build_rescore(folder: str, recordings: int) -> dict[str, Any]:
    """``recordings`` one-hour recordings, 500 labels over them, every window cached."""
    began = time.perf_counter()
    path = Path(folder) / "rescore.sonotag"
    path.parent.mkdir(parents=True, exist_ok=True)
    per = max(1, RESCORE_LABELS // recordings)
    project, recs = _labelled_project(path, recordings, per, 3600.0)
    rng = np.random.default_rng(2)
    cache = _Cache(project)
    for rec in recs:
        starts = _windows(3600.0)
        cache.put(rec, starts, np.maximum(0, rng.normal(0, 1, (len(starts), DIM))))
    project.close()
    return _built(path, began)


def _built(path: Path, began: float) -> dict[str, Any]:
    size = _du(path.parent)
    return {"path": str(path), "seconds": time.perf_counter() - began, "mb": size / 1e6}


# ----------------------------------------------------------------- probes: measuring
def probe_retrain(project: str) -> dict[str, Any]:
    from model.jobs import run_inline
    from model.ml.train import train_job

    began = time.perf_counter()
    result = run_inline(train_job, project, untrained_backbone=True, score=False)
    assert result["features"]["computed"] == 0, "the backbone ran: the cache was not used"
    return {
        "seconds": time.perf_counter() - began,
        "map": result["metrics"].get("map"),
        "epochs": result["history"].get("epochs_run"),
        "timings": result.get("timings"),  # the job's own steps (features, folds, fit, ...)
    }


def probe_build_examples(labels: int) -> dict[str, Any]:
    from model.ml.dataset import build_examples
    from model.project.records import Label, LabelClass, LabelState

    classes = [LabelClass(i + 1, n, "#000000", None, i) for i, n in enumerate(CLASSES)]
    rng = np.random.default_rng(0)
    starts = np.sort(rng.uniform(0, labels * 1.0, labels)).round(3)
    when = datetime(2024, 4, 1, tzinfo=UTC)
    items = [
        Label(i, 1, float(s), float(s) + 0.5, int(c), LabelState.PRESENT, "b", when)
        for i, (s, c) in enumerate(zip(starts, rng.integers(1, 6, labels), strict=True))
    ]
    began = time.perf_counter()
    examples = build_examples(items, classes, {1: labels * 1.0 + 10}, 2.0)
    return {"seconds": time.perf_counter() - began, "windows": len(examples)}


def probe_train_cli(project: str) -> dict[str, Any]:
    import contextlib
    import io

    from model.cli import main

    began = time.perf_counter()
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(["train", project, "--untrained-backbone"])
    assert status == 0, out.getvalue()[-2000:]
    return {"seconds": time.perf_counter() - began}


# ----------------------------------------------------------------- rows
def _ensure(code: Code, settings: Settings, name: str, probe: str, **kwargs: Any) -> dict:
    """A built project for ``code``, reused while its build arguments stay the same."""
    folder = settings.work / code.label / f"ml-{name}"
    marker = folder / "built.json"
    if settings.rebuild and folder.exists():
        shutil.rmtree(folder)
    if marker.exists() and json.loads(marker.read_text()).get("kwargs") == kwargs:
        return json.loads(marker.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    print(f"  building {code.label}/ml-{name} …", flush=True)
    result = run_probe(code, "ml", probe, 24 * 3600, folder=str(folder), **kwargs)
    assert result is not None
    built = {**result, "kwargs": kwargs}
    marker.write_text(json.dumps(built))
    print(f"    {result['seconds']:.1f} s, {result['mb']:.0f} MB", flush=True)
    return built


def _sizes(settings: Settings) -> dict[str, list[Any]]:
    if settings.quick:
        sizes = {"hours": [0.25], "retrain": [1000], "examples": [2000], "rescore": [3]}
    else:
        sizes = {
            "hours": [1.0],
            "retrain": [1000, 10_000, 100_000, 300_000],
            "examples": [10_000, 20_000, 40_000],
            "rescore": [3, 28, 84],
        }
    if settings.ml_clips:
        sizes["retrain"] = settings.ml_clips
    if settings.ml_recordings:
        sizes["rescore"] = settings.ml_recordings
    return sizes


def rows(codes: list[Code], settings: Settings) -> list[Row]:
    sizes = _sizes(settings)
    wanted = settings.ml_rows
    out: list[Row] = []
    if "cache" in wanted:
        out += _cache_rows(codes, settings, sizes["hours"])
    if "retrain" in wanted:
        out += _timed_rows(codes, settings, "retrain", sizes["retrain"], "head retrain, cached")
    if "examples" in wanted:
        for labels in sizes["examples"]:
            figures = {}
            for code in codes:
                r = run_probe(code, "ml", "build_examples", settings.timeout, labels=labels)
                figures[code.label] = seconds(None if r is None else r["seconds"], settings.timeout)
            out.append(Row("build_examples, one recording", f"{labels:,} labels", figures))
    if "rescore" in wanted:
        out += _timed_rows(codes, settings, "rescore", sizes["rescore"], "sonotag train + re-score")
    return out


def _cache_rows(codes: list[Code], settings: Settings, hours: list[float]) -> list[Row]:
    out = []
    for length in hours:
        figures: dict[str, str] = {}
        for code in codes:
            folder = str(settings.work / code.label / "ml-size")
            r = run_probe(code, "ml", "cache_size", settings.timeout, folder=folder, hours=length)
            figures[code.label] = seconds(None, settings.timeout)
            if r is not None:
                per_clip = r["bytes"] / r["clips"]
                figures[code.label] = (
                    f"{per_clip / 1024:.2f} KB/clip, {per_clip * 3599 / 1e6:.1f} MB/audio h"
                )
        out.append(Row("feature cache size (hop 1 s)", f"{length:g} h", figures))
    return out


def _timed_rows(
    codes: list[Code], settings: Settings, kind: str, sizes: list[int], what: str
) -> list[Row]:
    out = []
    for size in sizes:
        figures, notes = {}, []
        for code in codes:
            limit = settings.before_max_clips
            if kind == "retrain" and code.label == "before" and limit and size > limit:
                figures[code.label] = "not run (--before-max-clips)"
                continue
            if kind == "retrain":
                built = _ensure(code, settings, f"retrain{size}", "build_retrain", clips=size)
                r = run_probe(code, "ml", "retrain", settings.timeout, project=built["path"])
            else:
                built = _ensure(code, settings, f"rescore{size}", "build_rescore", recordings=size)
                r = run_probe(code, "ml", "train_cli", settings.timeout, project=built["path"])
            if r is None:
                figures[code.label] = seconds(None, settings.timeout)
                continue
            figures[code.label] = (
                f"{seconds(r['seconds'])} (CPU {seconds(r.get('cpu_s'))}), "
                f"peak {megabytes(r.get('peak_rss_mb'))}"
            )
            if r.get("map") is not None:
                notes.append(f"{code.label} mAP {r['map']:.2f}, {r['epochs']} epochs")
            steps = r.get("timings") or {}
            if steps:
                notes.append(
                    f"{code.label} steps: "
                    + ", ".join(f"{k.removesuffix('_s')} {v:.0f} s" for k, v in steps.items())
                )
        label = f"{size:,} clips" if kind == "retrain" else f"{size * 3599:,} windows"
        out.append(Row(what, label, figures, "; ".join(notes)))
    return out
