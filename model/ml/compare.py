"""Compare backbones on the user's own labels: same windows, same folds, one head on each.

What a biologist needs before choosing a backbone is how each does on *their* species and
recordings, not on a benchmark. Each backbone's features come from its own cache (computed
once, reused by later comparisons and by training), the folds are made from the labels alone
so every backbone is tested on exactly the same held-out windows, and the result carries
per-class AP with its spread over folds and pooled PR curves, side by side. Nothing is saved
as a model: the user picks the winner and trains it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from model.errors import SonotagError
from model.jobs import Reporter
from model.ml import backbones
from model.ml.crossval import evaluate_folds
from model.ml.evaluation import recording_sources
from model.ml.features import FeatureSource, clip_settings_of
from model.ml.head import HeadConfig
from model.ml.splitting import DEFAULT_FOLDS, plan_folds


class _Share:
    """One backbone's share of the comparison: its steps' progress (features, then folds)
    reported as a fraction of the whole job, so one bar runs once from start to end."""

    def __init__(self, reporter: Reporter, index: int, count: int, name: str) -> None:
        self.reporter, self.index, self.count, self.name = reporter, index, count, name

    def check(self) -> None:
        self.reporter.check()

    def update(
        self, done: float, total: float | None = None, message: str = "", **data: Any
    ) -> None:
        inner = min(max(done / total, 0.0), 1.0) if total else 0.0
        self.reporter.update(
            self.index + inner, self.count, f"{self.name}: {message}",
            **{**data, "backbone": self.name, "step_done": done, "step_total": total},
        )  # fmt: skip


def _entry(name: str) -> dict[str, Any]:
    info = backbones.info(name)
    return {
        "name": name,
        "title": info.title,
        "licence": info.licence,
        "licence_notice": info.licence_notice,
        "flagged": info.flagged,
        "state": info.status.state,
        "detail": info.status.detail,
    }


def compare_job(
    reporter: Reporter,
    project_path: str,
    names: Sequence[str],
    *,
    head: dict[str, Any] | None = None,
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
    allow_download: bool = False,
    batch_size: int | None = None,
) -> dict[str, Any]:
    """Job: cross-validated per-class AP of a head on each named backbone that can run here.

    Backbones that cannot run (weights or extra missing) are listed with the reason, not fatal.
    """
    from model.ml.train import labelled_features
    from model.project import Project

    if not names:
        raise SonotagError(None, "name at least one backbone to compare")
    for name in names:
        backbones.info(name)  # unknown names fail before any work
    config = HeadConfig(**{**(head or {}), "seed": seed})
    started = time.monotonic()
    results: list[dict[str, Any]] = []
    fold_text: dict[str, Any] = {}
    classes: list[str] = []
    project = Project.open(project_path)  # not read-only: new features are cached
    try:
        settings = clip_settings_of(project)
        recordings = {r.id: r for r in project.recordings()}
        sources = recording_sources(recordings)
        for number, name in enumerate(names):
            entry = _entry(name)
            results.append(entry)
            if entry["state"] != backbones.AVAILABLE and not (
                allow_download and entry["state"] == backbones.WEIGHTS_MISSING
            ):
                entry["error"] = entry["detail"]
                continue
            share: Any = _Share(reporter, number, len(names), name)
            share.update(0, None, "features of labelled clips", stage="features")
            chosen = backbones.create(
                name, allow_download=allow_download, batch_size=batch_size, seed=seed
            )
            try:
                source = FeatureSource(project, settings, chosen)
                examples, features, reasons = labelled_features(project, source, recordings, share)
            except SonotagError as exc:
                entry["error"] = exc.cause
                continue
            plan = plan_folds(examples, folds, seed)
            entry["metrics"] = evaluate_folds(
                features, examples, plan, config, sources, reporter=share,
                on_fold=lambda i, n, share=share: share.update(
                    i, n, f"fold {i + 1} of {n}", stage="evaluating"
                ),
            )  # fmt: skip
            entry["left_out"] = reasons
            entry["features"] = {"cached": source.stats.cached, "computed": source.stats.computed}
            classes = classes or list(examples.class_names)
            fold_text = fold_text or entry["metrics"].get("split", {})
        reporter.update(len(names), len(names), "comparison done", stage="done")
    finally:
        project.close()
    return {
        "backbones": results,
        "classes": classes,
        "head": config.kind,
        "split": fold_text,
        "seconds": round(time.monotonic() - started, 3),
    }


def best_backbone(result: dict[str, Any]) -> str | None:
    """The backbone with the highest pooled mAP (flagged ones only when nothing else ran)."""
    scored = [
        (not entry["flagged"], entry["metrics"]["map"], entry["name"])
        for entry in result["backbones"]
        if entry.get("metrics") and entry["metrics"].get("map") is not None
    ]
    return max(scored)[2] if scored else None
