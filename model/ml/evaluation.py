"""A trained model's honest figures, measured after the model is already in use.

Retraining is the inner loop of labelling: label, retrain, look at new score tracks. The
k-fold evaluation (``model.ml.crossval``) refits the head once per fold, so it runs *after*
the model that is kept has been saved, registered and has scored: the score tracks never wait
for it. Its figures then go where the model's figures live, the project's model record and
the bundle's manifest, and say "pending" until then.

The evaluation uses exactly the windows and targets the model was trained on (``Examples``,
handed over by the training job), never the labels as they are when it runs: a label added in
between belongs to the next model, not to this one's figures. Features come from the cache
the training just filled, so no backbone runs here (nor TensorFlow, for the linear head).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from model.audio.site import SITE_FOLDER
from model.errors import ProjectError, SonotagError
from model.jobs import Reporter
from model.ml.crossval import evaluate_folds
from model.ml.dataset import Examples
from model.ml.feature_table import FeatureRows
from model.ml.head import Features, HeadConfig
from model.ml.splitting import DEFAULT_FOLDS, plan_folds
from model.ml.together import FoldHeads

PENDING = "pending"
STATUS = "status"


def pending_metrics(note: str = "") -> dict[str, Any]:
    """What a model's record and manifest hold until its folds are measured."""
    return {
        STATUS: PENDING,
        "map": None,
        "per_class": {},
        "clips": 0,
        "note": note or "held-out figures are being measured on folds by recording",
    }


def is_pending(metrics: dict[str, Any] | None) -> bool:
    return bool(metrics) and (metrics or {}).get(STATUS) == PENDING


def recording_sources(recordings: dict[int, Any]) -> dict[int, tuple[str, str]]:
    """(file name, source) of each recording, for the per-class warnings: its site where the
    file or the user named one (GUANO, AudioMoth id, typed in the recordings list), else the
    whole folder path, so ``siteA/2021`` and ``siteB/2021`` stay apart."""
    return {rid: (Path(r.path).name, _source(r)) for rid, r in recordings.items()}


def _source(recording: Any) -> str:
    site = getattr(recording, "site", "")
    named = site and getattr(recording, "site_source", None) not in (None, SITE_FOLDER)
    return site if named else str(Path(recording.path).parent)


def measure(
    features: Features,
    examples: Examples,
    config: HeadConfig,
    sources: dict[int, tuple[str, str]],
    *,
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
    reporter: Reporter | None = None,
    heads: FoldHeads | None = None,
) -> dict[str, Any]:
    """The k-fold figures of ``config``'s head on these windows, with fold progress; with
    ``heads``, of the folds' heads fitted already (with the kept head: ``model.ml.together``)."""

    def on_fold(number: int, total: int) -> None:
        if reporter is not None:
            reporter.update(
                number, total, f"measuring on held-out recordings: fold {number + 1} of {total}",
                stage="evaluating",
            )  # fmt: skip

    plan = heads.plan if heads is not None else plan_folds(examples, folds, seed)
    return evaluate_folds(
        features, examples, plan, config, sources,
        reporter=reporter, on_fold=on_fold, heads=heads,
    )  # fmt: skip


def store(project: Any, model_id: int, metrics: dict[str, Any]) -> dict[str, Any]:
    """Writes the figures to the model's record and to its bundle's manifest. A bundle that
    cannot be rewritten (moved, read-only) keeps "pending"; the record, which the app shows,
    still gets them, and the returned note says so."""
    from model.ml.bundle import replace_metrics

    record = project.model(model_id)
    project.set_model_metrics(model_id, metrics)
    try:
        replace_metrics(record.file, metrics)
    except SonotagError as exc:
        return {"bundle_error": exc.cause}
    return {}


def evaluate_model_job(
    reporter: Reporter,
    project_path: str,
    model_id: int,
    examples: Examples,
    head: dict[str, Any] | None = None,
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
) -> dict[str, Any]:
    """Job: measures a freshly trained model on k folds by recording and stores the figures.

    Run by the Training panel right after the training job (which hands over ``examples``);
    cancelled when a newer training starts, which leaves this model's figures "pending".
    """
    from model.ml import backbones
    from model.ml.features import FeatureSource, clip_settings_of
    from model.ml.train import gather_features
    from model.project import Project
    from model.project.feature_cache import FeatureStore

    started = time.monotonic()
    config = HeadConfig(**{**(head or {}), "seed": seed})
    reporter.update(0, None, "measuring on held-out recordings", stage="evaluating")
    project = Project.open(project_path)
    features: Features | None = None
    try:
        record = project.model(model_id)
        entry = record.manifest.get("backbone") or {}
        settings = clip_settings_of(project)
        recordings = {r.id: r for r in project.recordings()}
        missing = sorted(set(examples.recording_ids.tolist()) - set(recordings))
        if missing:
            raise ProjectError(project.path, "a recording the model learnt from was removed")
        backbone = backbones.from_manifest(entry, allow_download=False)
        key = str(entry.get("cache_key") or backbone.cache_key)
        store_ = FeatureStore.for_project(project, key, settings.fingerprint())
        source = FeatureSource(project, settings, backbone, store=store_)
        features, usable = gather_features(source, examples, recordings, reporter)
        if not usable.all():
            raise ProjectError(
                project.path,
                "the features of some labelled clips can be neither read from the cache nor "
                "computed: " + "; ".join(source.stats.missing_recordings),
            )
        metrics = measure(
            features, examples, config, recording_sources(recordings),
            folds=folds, seed=seed, reporter=reporter,
        )  # fmt: skip
        metrics.update(
            {
                "backbone": entry.get("name", ""),
                "untrained_backbone": bool(entry.get("flagged")),
            }
        )
        if record.manifest.get("kind") == "fine-tuned":
            metrics["note"] = "figures measured on the head before fine-tuning"
        # The last cancel point: the GUI holds its kill while the figures are written.
        reporter.update(1, 1, "saving the figures", stage="evaluating", uninterruptible=True)
        extra = store(project, model_id, metrics)
    finally:
        if isinstance(features, FeatureRows):
            features.table.close()  # the labelled windows' features on disk
        project.close()
    return {
        "model_id": model_id,
        "name": record.name,
        "metrics": metrics,
        "seconds": round(time.monotonic() - started, 3),
        "features": {"cached": source.stats.cached, "computed": source.stats.computed},
        **extra,
    }
