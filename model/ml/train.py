"""The training job: labels -> features (cached) -> head -> held-out metrics -> bundle -> scores.

Run by the GUI as ``ProcessJob("model.ml.train:train_job", project_path=..., ...)`` in a
spawned process, so every argument is a plain value and the job opens the project itself; an
out-of-memory or a crash ends the worker, not the app. Each finished step is committed to the
project (features as they are computed, the model only once its bundle is written), so a
cancelled or killed job leaves the project as it was, plus reusable cached features.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from model.annotations.box_rule import training_labels
from model.clips.geometry import geometry_of
from model.errors import ModelBundleError, ProjectError
from model.jobs import Reporter
from model.ml import backbones, together
from model.ml.backbones import Backbone
from model.ml.bundle import KIND_FINE_TUNED, KIND_HEAD, make_manifest
from model.ml.bundle_commit import bundle_path as _bundle_path  # noqa: F401 - re-exported
from model.ml.bundle_commit import commit_model, models_dir  # noqa: F401 - re-exported
from model.ml.dataset import Examples, build_examples
from model.ml.evaluation import measure, pending_metrics, recording_sources
from model.ml.evaluation import store as store_metrics
from model.ml.feature_table import FeatureRows, FeatureTable
from model.ml.features import FeatureSource, clip_settings_of
from model.ml.head import (
    Features,
    HeadConfig,
    fits_exactly,
    inference_copy,
    summarise,
    train_head,
)
from model.ml.linear_head import tuning_folds
from model.ml.splitting import DEFAULT_FOLDS, FoldPlan, final_split

MIN_POSITIVES = 2
GATHER_WINDOWS = 4096  # labelled windows' features fetched at a time
# Labelled windows' features stay in memory while they take at most this much as float32
# (32,768 windows of ResNet50's 2,048 values); beyond it they go to a FeatureTable on disk that
# both heads learn from in mini-batches (``model.ml.streaming``), so memory stays flat however
# many there are. Disk only when memory needs it: reading batches back costs time each step.
IN_MEMORY_BYTES = 256 * 2**20


def in_memory(windows: int, dim: int) -> bool:
    """Whether ``windows`` features of ``dim`` values are kept in memory for training."""
    return windows * dim * 4 <= IN_MEMORY_BYTES


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


def gather_features(
    source: FeatureSource, examples: Examples, recordings: dict[int, Any], reporter: Reporter
) -> tuple[Features, np.ndarray]:
    """Features of all examples and a mask of those whose audio could be read.

    Fetched ``GATHER_WINDOWS`` at a time; kept in memory up to ``IN_MEMORY_BYTES``, beyond
    that written to a ``FeatureTable`` on disk that training reads back in bounded pieces.
    """
    requests: list[tuple[Any, np.ndarray, np.ndarray]] = []
    for rid, index in sorted(examples.by_recording().items()):
        for begin in range(0, len(index), GATHER_WINDOWS):
            part = index[begin : begin + GATHER_WINDOWS]
            requests.append((recordings[rid], examples.starts[part], part))
    message = "features of labelled clips"
    source.plan(((rec, starts) for rec, starts, _ in requests), reporter, message)
    dim = source.extractor.dim
    usable = np.zeros(len(examples), bool)
    table = None
    if not in_memory(len(examples), dim):
        table = FeatureTable.create(source.store.tmp, len(examples), dim, seed=len(examples))
    kind = np.float16 if table is not None else np.float32
    features = np.zeros((0 if table else len(examples), dim), kind)
    group: list[tuple[Any, np.ndarray, np.ndarray]] = []
    for number, request in enumerate(requests):
        group.append(request)
        if sum(len(r[2]) for r in group) < GATHER_WINDOWS and number + 1 < len(requests):
            continue
        pieces = [(rec, starts) for rec, starts, _ in group]
        # float16 for the table, as the cache holds them: no round trip through float32
        arrays = source.features(pieces, reporter, message, dtype=features.dtype)
        for (_, _, index), vectors in zip(group, arrays, strict=True):
            if vectors is None:
                continue
            if table is not None:
                table.write(index, vectors)
            else:
                features[index] = vectors
            usable[index] = True
        group = []
    return (table.select() if table is not None else features), usable


def _keep_classes(
    examples: Examples, features: Features, keep: np.ndarray
) -> tuple[Examples, Features]:
    """Drops the classes not in ``keep`` (a bool per class) and windows left with no target;
    rows are picked by position, so windows are never matched by a packed key."""
    columns = np.flatnonzero(keep)
    rows = np.flatnonzero((examples.targets[:, columns] >= 0).any(axis=1))
    return examples.subset(rows).with_classes(columns), features[rows]


def backbone_name(backbone: str | None, untrained_backbone: bool) -> str:
    """``--untrained-backbone`` is an alias of ``--backbone resnet50-untrained``."""
    if backbone and untrained_backbone and backbone != backbones.UNTRAINED:
        raise ProjectError(None, f"--untrained-backbone contradicts --backbone {backbone}")
    return backbone or (backbones.UNTRAINED if untrained_backbone else backbones.IMAGENET)


def learnable(
    examples: Examples, features: Features, project_path: Path
) -> tuple[Examples, Features, dict[str, str]]:
    """Leaves out classes with fewer than MIN_POSITIVES present clips (a flat score track
    would be all they could get), with the reason for each."""
    _check_enough(examples, project_path)
    enough = (examples.targets == 1).sum(axis=0) >= MIN_POSITIVES
    reasons = {
        name: f"needs at least {MIN_POSITIVES} clips labelled present"
        for name, ok in zip(examples.class_names, enough, strict=True)
        if not ok
    }
    kept, kept_features = _keep_classes(examples, features, enough)
    return kept, kept_features, reasons


def labelled_features(
    project: Any, source: FeatureSource, recordings: dict[int, Any], reporter: Reporter
) -> tuple[Examples, Features, dict[str, str]]:
    """The project's labelled windows that can be learnt from, and their features."""
    settings = source.settings
    durations = {rid: r.duration for rid, r in recordings.items()}
    labels = training_labels(project, clip_seconds=settings.clip_seconds)
    hop = geometry_of(project).hop_seconds  # the scorer's last window ends each recording
    examples = build_examples(labels, project.classes(), durations, settings.clip_seconds, hop)
    _check_enough(examples, project.path)
    features, usable = gather_features(source, examples, recordings, reporter)
    examples, features = examples.subset(np.flatnonzero(usable)), features[usable]
    return learnable(examples, features, project.path)


def train_job(
    reporter: Reporter,
    project_path: str,
    *,
    backbone: str | None = None,
    epochs: int = 60,
    fine_tune: bool = False,
    fine_tune_epochs: int = 5,
    untrained_backbone: bool = False,
    name: str | None = None,
    out: str | None = None,
    hop: float | None = None,
    score: bool = True,
    allow_download: bool = True,
    precision: str | None = None,
    batch_size: int | None = None,
    seed: int = 0,
    head: dict[str, Any] | None = None,
    folds: int = DEFAULT_FOLDS,
    evaluate: bool = True,
) -> dict[str, Any]:
    """Trains a model on the project's labels, registers it (active) and re-scores recordings.

    The model that is kept learns from every labelled window (the MLP head keeps a validation
    part to stop early); it is saved and scores before anything else, because the score tracks
    are what the user waits for. Its figures come from k folds by recording
    (``model.ml.evaluation``), measured last, or, with ``evaluate=False`` (the GUI), by a
    separate job the result's ``evaluation`` entry describes. Returns a picklable dict:
    model_id, bundle path, metrics (per-class AP with its spread over folds, mAP, PR curves,
    warnings; "pending" when left to that job), training history and timing.
    """
    from model.ml import device as device_module
    from model.project import Project

    started = time.monotonic()
    timings: dict[str, float] = {}
    mark = [started]

    def lap(step: str) -> None:
        now = time.monotonic()
        timings[step] = round(now - mark[0], 3)
        mark[0] = now

    if out and not Path(out).parent.is_dir():
        raise ModelBundleError(out, "the folder to copy the model into does not exist")
    chosen = backbones.create(
        backbone_name(backbone, untrained_backbone),
        precision=precision,
        batch_size=batch_size,
        allow_download=allow_download,
        seed=seed,
    )
    if fine_tune and not chosen.fine_tunable:
        raise ProjectError(None, f"fine-tuning is only available for ResNet50, not {chosen.name}")
    config = HeadConfig(**{**(head or {}), "epochs": epochs, "seed": seed})
    device = device_module.configure()
    reporter.update(
        0, None, f"preparing training on {device.description}", stage="prepare",
        device=device.description,
    )  # fmt: skip
    project = Project.open(project_path)
    features: Features | None = None
    try:
        if project.read_only:
            raise ProjectError(project.path, "is read-only; a model cannot be added to it")
        settings = clip_settings_of(project)
        recordings = {r.id: r for r in project.recordings()}
        source = FeatureSource(project, settings, chosen)
        lap("prepare_s")
        examples, features, reasons = labelled_features(project, source, recordings, reporter)
        lap("features_s")
        reporter.check()
        plan = together.plan_with_final(features, examples, config, folds, seed, evaluate)
        final, history, fold_heads = _fit_final(
            features, examples, config, seed, reporter, device, plan
        )
        kind = KIND_HEAD
        if fine_tune:
            from model.ml.finetune import fine_tune_stage

            assert isinstance(chosen, backbones.ResNet50Backbone)
            final, history["fine_tune"] = fine_tune_stage(
                project, settings, chosen.spec, chosen.precision, chosen.device.description,
                final, examples, np.arange(len(examples)), recordings, fine_tune_epochs,
                reporter, seed,
            )  # fmt: skip
            kind = KIND_FINE_TUNED
        lap("fit_s")
        # The last cancel point; the save itself is one step a cancel does not split (the GUI
        # holds its kill while ``uninterruptible`` is set) and a kill cannot leave half of.
        reporter.update(0, None, "saving the model", stage="saving", uninterruptible=True)
        metrics = pending_metrics()
        manifest = make_manifest(
            kind=kind,
            class_names=examples.class_names,
            clip_settings=settings,
            backbone=chosen.describe(settings),
            label_counts=examples.label_counts(),
            metrics=metrics,
            training={
                "head": config.to_dict(),
                "fine_tune": fine_tune,
                "fine_tune_epochs": fine_tune_epochs if fine_tune else 0,
                "device": device.description,
                "examples": len(examples),
                "history": history,
                # Kept with the model: the panel says what it left out on every later showing.
                "left_out": reasons,
            },
        )
        record = commit_model(project, name, final, manifest, metrics, activate=True)
        bundle_path, bundle_name = record.file, record.name
        lap("save_s")
        # From here on the model is in use: scores first, then its figures (which may be
        # left to a separate job: ``model.ml.evaluation.evaluate_model_job``).
        scoring = _score(project, bundle_path, manifest, final, chosen, recordings,
                         geometry_of(project).hop_seconds if hop is None else hop,
                         reporter, source, record.id) if score else None  # fmt: skip
        if scoring is not None:
            lap("scoring_s")
        evaluation = {"model_id": record.id, "examples": examples, "head": config.to_dict(),
                      "folds": folds, "seed": seed}  # fmt: skip
        stored: dict[str, Any] = {}
        if evaluate:
            metrics = measure(
                features, examples, config, recording_sources(recordings),
                folds=folds, seed=seed, reporter=reporter, heads=fold_heads,
            )  # fmt: skip
            metrics.update({"untrained_backbone": chosen.flagged, "backbone": chosen.name})
            if fine_tune:
                metrics["note"] = "figures measured on the head before fine-tuning"
            stored = store_metrics(project, record.id, metrics)
            lap("evaluate_s")
        if out:
            shutil.copyfile(bundle_path, out)
        return {
            "model_id": record.id,
            "name": bundle_name,
            "bundle": str(bundle_path),
            "metrics": metrics,
            # What ``evaluate_model_job`` needs when the figures were left to it.
            "evaluation": None if evaluate else evaluation,
            **stored,
            "backbone": chosen.name,
            "backbone_title": chosen.title,
            "licence_notice": chosen.licence_notice,
            "head": config.kind,
            "untrained_backbone": chosen.flagged,
            "classes": list(examples.class_names),
            "classes_left_out": list(reasons),
            "left_out_reasons": reasons,
            "device": device.description,
            "backbone_device": chosen.device.description,
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
        if isinstance(features, FeatureRows):
            features.table.close()  # the labelled windows' features on disk
        project.close()


def _fit_final(
    features: Features,
    examples: Examples,
    config: HeadConfig,
    seed: int,
    reporter: Reporter,
    device: Any,
    plan: FoldPlan | None = None,
) -> tuple[Any, dict[str, Any], together.FoldHeads | None]:
    """The head that is kept: every labelled window, less the MLP's validation part; with
    ``plan``, fitted with the folds' heads on one stream (returned for the figures)."""
    if plan is not None:
        return together.fit_final_with_folds(features, examples, plan, config, reporter)
    if config.needs_validation:
        split = final_split(examples, seed)
        train, validation = split.train, split.validation
    else:
        train, validation = np.arange(len(examples)), np.empty(0, np.int64)
    held = (features[validation], examples.targets[validation]) if len(validation) else None
    reporter.update(0, None, f"training the {config.kind} head", stage="training")
    # Folds only where the fit chooses a strength on them: the exact fit with a grid. Planned
    # for nothing they had cost 12 s of a 300,000-clip retrain.
    chooses = bool(config.c_grid) and fits_exactly(features)  # linear: train is every window
    folds = tuning_folds(examples.subset(train), seed) if chooses else None
    everything = len(train) == len(examples)  # no copy of every window's features
    fit = train_head(
        features if everything else features[train],
        examples.targets if everything else examples.targets[train], held, config, folds=folds,
        reporter=reporter, device_text=device.description,
        progress=lambda e, n, row: reporter.update(
            e, n, f"training the head: epoch {e}", stage="training", **row
        ),
    )  # fmt: skip
    history = summarise(examples.class_names, fit)
    history["head"] = config.kind
    history["train_clips"], history["validation_clips"] = int(len(train)), int(len(validation))
    return inference_copy(fit.model), history, None


def _score(
    project: Any,
    bundle_path: Path,
    manifest: dict[str, Any],
    model: Any,
    chosen: Backbone,
    recordings: dict[int, Any],
    hop: float,
    reporter: Reporter,
    source: FeatureSource,
    model_id: int,
) -> dict[str, Any]:
    from model.ml.bundle import Bundle
    from model.ml.predict import Scorer, score_recordings

    scorer = Scorer(Bundle(bundle_path, manifest, model), extractor=chosen)
    return score_recordings(
        project, scorer, model_id, list(recordings.values()),
        hop=hop, reporter=reporter, source=source,
    )  # fmt: skip
