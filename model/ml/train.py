"""The training job: labels -> features (cached) -> head -> held-out metrics -> bundle -> scores.

Run by the GUI as ``ProcessJob("model.ml.train:train_job", project_path=..., ...)`` in a
spawned process, so every argument is a plain value and the job opens the project itself; an
out-of-memory or a crash ends the worker, not the app. Each finished step is committed to the
project (features as they are computed, the model only once its bundle is written), so a
cancelled or killed job leaves the project as it was, plus reusable cached features.
"""

from __future__ import annotations

import re
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from model.errors import ModelBundleError, ProjectError
from model.jobs import Reporter
from model.ml.backbone import BackboneSpec, FeatureExtractor
from model.ml.bundle import KIND_FINE_TUNED, KIND_HEAD, SUFFIX, make_manifest, save_bundle
from model.ml.dataset import Examples, Split, build_examples, split_by_recording
from model.ml.features import FeatureSource, clip_settings_of
from model.ml.head import (
    HeadConfig,
    build_head,
    feature_statistics,
    fit_head,
    inference_copy,
    predict_scores,
    summarise,
)
from model.ml.metrics import evaluate

MIN_POSITIVES = 2


def models_dir(project_path: str | Path) -> Path:
    """``<project stem>.models/`` next to the project file: bundles travel with the project."""
    path = Path(project_path)
    return path.with_name(path.stem + ".models")


def _bundle_path(folder: Path, name: str | None) -> Path:
    """A new file in ``folder``: never overwrites the bundle of an earlier model."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    stem = (re.sub(r"[^\w.-]+", "_", name).strip("._") if name else "") or f"model-{stamp}"
    path, number = folder / f"{stem}{SUFFIX}", 1
    while path.exists():
        number += 1
        path = folder / f"{stem}-{number}{SUFFIX}"
    return path


def _check_enough(examples: Examples, project_path: Path) -> None:
    if not examples.class_names:
        raise ProjectError(project_path, "has no classes yet; add classes and label some clips")
    positives = (examples.targets == 1).sum(axis=0)
    if positives.max(initial=0) < MIN_POSITIVES:
        raise ProjectError(
            project_path,
            f"needs at least {MIN_POSITIVES} clips labelled 'present' for some class before a "
            "model can be trained",
        )


def _gather(
    source: FeatureSource, examples: Examples, recordings: dict[int, Any], reporter: Reporter
) -> tuple[np.ndarray, np.ndarray]:
    """Features of all examples (N, 2048) and a mask of those whose audio could be read."""
    groups = examples.by_recording()
    order = sorted(groups)
    arrays = source.features(
        [(recordings[rid], examples.starts[groups[rid]]) for rid in order],
        reporter,
        "features of labelled clips",
    )
    features = np.zeros((len(examples), 2048), np.float32)
    usable = np.zeros(len(examples), bool)
    for rid, vectors in zip(order, arrays, strict=True):
        if vectors is not None:
            features[groups[rid]] = vectors
            usable[groups[rid]] = True
    return features, usable


def _keep_classes(
    examples: Examples, features: np.ndarray, keep: np.ndarray
) -> tuple[Examples, np.ndarray]:
    """Drops the classes not in ``keep`` (a bool per class) and windows left with no target."""
    kept = examples.with_classes(np.flatnonzero(keep))
    return kept, features[np.isin(_window_keys(examples), _window_keys(kept))]


_WINDOW_KEY = np.dtype([("recording", np.int64), ("ms", np.int64)])


def _window_keys(examples: Examples) -> np.ndarray:
    """(recording, start ms) pairs: a packed number such as ``rid * 1e8 + ms`` collides once a
    recording passes 27.8 hours, which mixed up two windows' features."""
    keys = np.empty(len(examples), _WINDOW_KEY)
    keys["recording"] = examples.recording_ids
    keys["ms"] = np.round(examples.starts * 1000).astype(np.int64)
    return keys


def _ordered_result(split: Split, metrics: dict[str, Any]) -> dict[str, Any]:
    return {**metrics, "split": split.describe()}


def train_job(
    reporter: Reporter,
    project_path: str,
    *,
    epochs: int = 60,
    fine_tune: bool = False,
    fine_tune_epochs: int = 5,
    untrained_backbone: bool = False,
    name: str | None = None,
    out: str | None = None,
    hop: float = 1.0,
    score: bool = True,
    allow_download: bool = True,
    precision: str | None = None,
    batch_size: int = 32,
    seed: int = 0,
    head: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Trains a model on the project's labels, registers it (active) and re-scores recordings.

    Returns a picklable dict: model_id, bundle path, metrics (per-class AP, mAP, PR curves on
    the held-out recordings), the split, training history and timing.
    """
    from model.ml import device as device_module
    from model.project import Project

    started = time.monotonic()
    timings: dict[str, float] = {}
    mark = [started]

    def lap(name: str) -> None:
        now = time.monotonic()
        timings[name] = round(now - mark[0], 3)
        mark[0] = now

    if out and not Path(out).parent.is_dir():
        raise ModelBundleError(out, "the folder to copy the model into does not exist")
    device = device_module.configure()
    spec = BackboneSpec.untrained(seed) if untrained_backbone else BackboneSpec.imagenet()
    config = HeadConfig(**{**(head or {}), "epochs": epochs, "seed": seed})
    extractor = FeatureExtractor(
        spec, precision=precision, batch_size=batch_size, allow_download=allow_download
    )
    reporter.update(
        0,
        None,
        f"preparing training on {device.description}",
        stage="prepare",
        device=device.description,
    )
    project = Project.open(project_path)
    try:
        if project.read_only:
            raise ProjectError(project.path, "is read-only; a model cannot be added to it")
        settings = clip_settings_of(project)
        classes = project.classes()
        recordings = {r.id: r for r in project.recordings()}
        durations = {rid: r.duration for rid, r in recordings.items()}
        examples = build_examples(project.labels(), classes, durations, settings.clip_seconds)
        _check_enough(examples, project.path)
        source = FeatureSource(project, settings, extractor)
        lap("prepare_s")
        features, usable = _gather(source, examples, recordings, reporter)
        lap("features_s")
        examples, features = examples.subset(np.flatnonzero(usable)), features[usable]
        _check_enough(examples, project.path)
        # A class with fewer than MIN_POSITIVES present clips cannot be learnt: leave it out
        # rather than ship a flat score track for it.
        enough = (examples.targets == 1).sum(axis=0) >= MIN_POSITIVES
        reasons = {
            name: f"needs at least {MIN_POSITIVES} clips labelled present"
            for name, ok in zip(examples.class_names, enough, strict=True)
            if not ok
        }
        examples, features = _keep_classes(examples, features, enough)
        reporter.check()  # between steps too: building the head takes a moment
        split = split_by_recording(examples, seed=seed)
        # A class whose present clips all fell into the held-out recordings would be trained on
        # negatives only yet ship a score track (and a meaningless AP): leave it out as well.
        while len(split.held_out) and examples.class_names:
            trained = (examples.targets[split.train] == 1).any(axis=0)
            if trained.all():
                break
            for name, ok in zip(examples.class_names, trained, strict=True):
                if not ok:
                    reasons[name] = (
                        "all its present clips are in the held-out recording(s); label it in "
                        "a second recording too"
                    )
            examples, features = _keep_classes(examples, features, trained)
            _check_enough(examples, project.path)
            split = split_by_recording(examples, seed=seed)
        left_out = list(reasons)
        train_x, train_y = features[split.train], examples.targets[split.train]
        held = split.held_out
        validation = (features[held], examples.targets[held]) if len(held) else None
        mean, variance = feature_statistics(train_x)
        model = build_head(len(examples.class_names), mean, variance, config)
        reporter.check()
        fit = fit_head(
            model,
            train_x,
            train_y,
            validation,
            config,
            reporter=reporter,
            device_text=device.description,
            progress=lambda e, n, row: reporter.update(
                e, n, f"training the head: epoch {e}", stage="training", **row
            ),
        )
        history = summarise(examples.class_names, fit)
        lap("fit_s")
        kind = KIND_HEAD
        final = inference_copy(fit.model)
        held_scores = predict_scores(final, validation[0]) if validation else None
        if fine_tune:
            final, held_scores, history["fine_tune"] = _fine_tune(
                project,
                settings,
                spec,
                extractor,
                final,
                examples,
                split,
                recordings,
                fine_tune_epochs,
                reporter,
                seed,
            )
            kind = KIND_FINE_TUNED
        if validation is not None and held_scores is not None:
            metrics = _ordered_result(
                split, evaluate(validation[1], held_scores, examples.class_names)
            )
        else:
            metrics = _ordered_result(
                split,
                {
                    "map": None,
                    "per_class": {},
                    "clips": 0,
                    "note": "too few labelled clips to hold any out",
                },
            )
        metrics["untrained_backbone"] = spec.is_untrained
        lap("evaluate_s")
        reporter.update(0, None, "saving the model", stage="saving")  # last cancel point
        bundle_path = _bundle_path(models_dir(project.path), name)
        bundle_name = bundle_path.name.removesuffix(SUFFIX)
        manifest = make_manifest(
            kind=kind,
            class_names=examples.class_names,
            clip_settings=settings,
            backbone=spec,
            precision=extractor.precision,
            label_counts=examples.label_counts(),
            metrics=metrics,
            training={
                "head": config.to_dict(),
                "fine_tune": fine_tune,
                "fine_tune_epochs": fine_tune_epochs if fine_tune else 0,
                "device": device.description,
                "examples": len(examples),
                "history": history,
            },
        )
        save_bundle(bundle_path, final, manifest)
        record = project.add_model(bundle_name, bundle_path, manifest, metrics, activate=True)
        if out:
            shutil.copyfile(bundle_path, out)
        lap("save_s")
        scoring = None
        if score:
            from model.ml.bundle import Bundle
            from model.ml.predict import Scorer, score_recordings

            scorer = Scorer(Bundle(bundle_path, manifest, final), extractor=extractor)
            scoring = score_recordings(
                project,
                scorer,
                record.id,
                list(recordings.values()),
                hop=hop,
                reporter=reporter,
                source=source,
            )
            lap("scoring_s")
        return {
            "model_id": record.id,
            "name": bundle_name,
            "bundle": str(bundle_path),
            "metrics": metrics,
            "untrained_backbone": spec.is_untrained,
            "classes": list(examples.class_names),
            "classes_left_out": left_out,
            "left_out_reasons": reasons,
            "device": device.description,
            "history": history,
            "features": {
                "cached": source.stats.cached,
                "computed": source.stats.computed,
                "skipped": source.stats.missing_recordings,
                "cache_errors": source.stats.cache_errors,
            },
            "scoring": scoring,
            "seconds": round(time.monotonic() - started, 3),
            "timings": timings,
        }
    finally:
        project.close()


def _fine_tune(
    project: Any,
    settings: Any,
    spec: BackboneSpec,
    extractor: FeatureExtractor,
    head: Any,
    examples: Examples,
    split: Split,
    recordings: dict[int, Any],
    epochs: int,
    reporter: Reporter,
    seed: int,
) -> tuple[Any, np.ndarray | None, list[dict[str, Any]]]:
    """Stage two on clip images; returns the full model and its held-out scores."""
    from model.clips import clip_images
    from model.ml.finetune import build_fine_tune_model, fine_tune, predict_images

    images = np.zeros((len(examples), *settings.image_shape), np.uint8)
    for rid, index in examples.by_recording().items():
        reporter.update(0, None, "drawing clip images for fine-tuning", stage="fine-tune")
        images[index] = clip_images(recordings[rid].path, examples.starts[index], settings)
    model = build_fine_tune_model(spec, head, extractor.precision)
    history = fine_tune(
        model,
        images[split.train],
        examples.targets[split.train],
        epochs=epochs,
        reporter=reporter,
        seed=seed,
        on_epoch=lambda e, n, row: reporter.update(
            e,
            n,
            f"fine-tuning: epoch {e}",
            stage="fine-tune",
            device=extractor.device.description,
            **row,
        ),
    )
    held = (
        predict_images(model, images[split.held_out], reporter=reporter)
        if len(split.held_out)
        else None
    )
    return model, held, history
