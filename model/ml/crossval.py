"""Runs the folds of ``model.ml.splitting`` on cached features and reports per-class AP.

Training and Compare both come here, so a model's reported figures and a comparison of
backbones are measured the same way: same folds (they depend only on the labels and the seed,
never on the backbone), the head trained on each fold's training part, early stopping (MLP
only) on its validation part, scores kept only for its test part.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from model.jobs import Reporter
from model.ml import together
from model.ml.dataset import POSITIVE, Examples
from model.ml.head import (
    EXACT_WINDOWS,
    LINEAR,
    Features,
    HeadConfig,
    predict_scores,
    train_head,
)
from model.ml.linear_head import LinearWeights, fit_linear_weights, tuning_folds
from model.ml.metrics import cross_validated
from model.ml.splitting import FoldPlan
from model.ml.streaming import linear_weights_by_adam

FOLD_WORKERS = 2  # linear folds fitted at once (see out_of_fold_scores)
Source = tuple[str, str]  # (recording file name, the folder it is in, as a path)


def positive_sources(examples: Examples, sources: Mapping[int, Source]) -> list[list[Source]]:
    """For each class, the recordings holding its present clips, with their folders."""
    out = []
    for column in range(examples.targets.shape[1]):
        rids = np.unique(examples.recording_ids[examples.targets[:, column] == POSITIVE])
        out.append([sources.get(int(r), (str(r), "")) for r in rids])
    return out


def _fit_and_score(
    features: Features,
    examples: Examples,
    train: np.ndarray,
    validation: np.ndarray,
    test: np.ndarray,
    config: HeadConfig,
    reporter: Reporter | None,
) -> tuple[np.ndarray, dict[str, int]]:
    """One fold's test scores. The linear head scores with its NumPy weights: building a
    Keras model per fold would cost more than fitting it. It is fitted as ``train_head`` fits
    it: exactly up to ``EXACT_WINDOWS``, choosing its regularisation on folds of this fold's
    training part only (nested, so the test part never steers it); beyond, by mini-batches
    (in memory or from disk) at the configured strength."""
    targets = examples.targets
    if config.kind == LINEAR:
        if isinstance(features, np.ndarray) and len(train) <= EXACT_WINDOWS:
            folds = tuning_folds(examples.subset(train), config.seed)
            fitted = fit_linear_weights(
                features[train], targets[train], config, folds=folds, reporter=reporter
            )
        else:
            fitted = linear_weights_by_adam(
                features[train], targets[train], config, reporter=reporter
            )
        return _linear_scores(fitted, features[test]), {"epochs": 0, "best_epoch": 0}
    held = (features[validation], targets[validation]) if len(validation) else None
    fit = train_head(features[train], targets[train], held, config, reporter=reporter)
    scores = predict_scores(fit.model, features[test])
    return scores, {"epochs": len(fit.history), "best_epoch": fit.best_epoch}


def _linear_scores(fitted: LinearWeights, features: Features) -> np.ndarray:
    """Scores of features in memory, or on disk a chunk at a time."""
    if isinstance(features, np.ndarray):
        return fitted.scores(features)
    out = np.empty((len(features), len(fitted.bias)), np.float32)
    for index, rows in features.chunks():
        out[index] = fitted.scores(rows)
    return out


def out_of_fold_scores(
    features: Features,
    examples: Examples,
    plan: FoldPlan,
    config: HeadConfig,
    *,
    reporter: Reporter | None = None,
    on_fold: Callable[[int, int], None] | None = None,
    heads: together.FoldHeads | None = None,
) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """(scores, fold of each window or -1, per-fold notes); each window is scored once, by the
    head of the fold that held it out.

    Linear folds are fitted ``fold_workers()`` at a time, each on one BLAS thread: a fit is
    one core's NumPy work (most of it releases the GIL), and the five folds after a 300,000-
    clip retrain were five such fits in a row while the other cores idled. Each fold's result
    is its own (seeded), whatever the order they finish in. Where every fold's linear head
    learns by mini-batches they are fitted together instead, on one stream
    (``model.ml.together``), or come ready as ``heads`` (fitted with the kept head)."""
    if heads is None and together.fitted_together(features, plan, config):
        total = len(plan.folds)

        def progress(step: int, steps: int) -> None:  # the shared fit, a fold's share at a time
            share, before = step * total // steps, (step - 16) * total // steps
            if on_fold is not None and share != before:
                on_fold(min(share, total - 1), total)

        if on_fold is not None:
            on_fold(0, total)
        _, heads = together.fit_folds(
            features, examples, plan, config, reporter=reporter, progress=progress
        )
    if heads is not None:
        return together.out_of_fold(heads, features, reporter)
    targets = examples.targets
    scores = np.zeros(targets.shape, np.float32)
    fold_of = np.full(len(examples), -1, np.int64)
    notes = []
    total = len(plan.folds)

    def fit(number: int) -> tuple[np.ndarray, dict[str, Any], float]:
        fold = plan.folds[number]
        if reporter is not None:
            reporter.check()
        if config.needs_validation:
            train, validation = fold.train, fold.validation
        else:
            train, validation = together.linear_train(fold), np.empty(0, np.int64)
        started = time.monotonic()
        fold_scores, note = _fit_and_score(
            features, examples, train, validation, fold.test, config, reporter
        )
        return fold_scores, note, round(time.monotonic() - started, 3)

    for number, (fold_scores, note, seconds) in enumerate(
        _in_turn(fit, total, fold_workers(config), on_fold)
    ):
        fold = plan.folds[number]
        scores[fold.test] = fold_scores
        fold_of[fold.test] = number
        notes.append({**fold.describe(), **note, "seconds": seconds})
    return scores, fold_of, notes


def fold_workers(config: HeadConfig) -> int:
    """Folds fitted at once: up to ``FOLD_WORKERS`` for the linear head (NumPy on one BLAS
    thread each), one for the MLP (TensorFlow spreads one fit over the cores itself)."""
    return min(FOLD_WORKERS, os.cpu_count() or 1) if config.kind == LINEAR else 1


def _in_turn(
    fit: Callable[[int], Any],
    total: int,
    workers: int,
    on_fold: Callable[[int, int], None] | None,
) -> Iterator[Any]:
    """``fit(0)``, ``fit(1)``, ... in order, ``workers`` of them running at once; ``on_fold``
    as each one's turn comes. An error (a cancel) drops the folds not yet started."""
    if workers <= 1:
        for number in range(total):
            if on_fold is not None:
                on_fold(number, total)
            yield fit(number)
        return
    from threadpoolctl import threadpool_limits

    # One BLAS thread for the whole pool: a fit setting and restoring its own limit would
    # give the folds still running the default back.
    with threadpool_limits(limits=1, user_api="blas"):
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fold")
        try:
            futures = [pool.submit(fit, number) for number in range(total)]
            for number, future in enumerate(futures):
                if on_fold is not None:
                    on_fold(number, total)
                yield future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def evaluate_folds(
    features: Features,
    examples: Examples,
    plan: FoldPlan,
    config: HeadConfig,
    sources: Mapping[int, Source],
    *,
    reporter: Reporter | None = None,
    on_fold: Callable[[int, int], None] | None = None,
    heads: together.FoldHeads | None = None,
) -> dict[str, Any]:
    """The figures the panel and the CLI show: per-class AP (pooled and per fold), mAP, PR
    curves, recordings (and folders) behind each class, warnings, and how the folds were
    made. ``sources`` gives each recording's file and folder name."""
    if not plan.folds:
        return {
            "map": None,
            "per_class": {},
            "clips": 0,
            "split": {"method": "none", **plan.describe()},
            "note": "too few labelled clips (or recordings) to hold any out",
        }
    scores, fold_of, notes = out_of_fold_scores(
        features, examples, plan, config, reporter=reporter, on_fold=on_fold, heads=heads
    )
    tested = fold_of >= 0
    metrics = cross_validated(
        examples.targets[tested],
        scores[tested],
        fold_of[tested],
        examples.class_names,
        positive_sources(examples, sources),
        folders=len({sources.get(int(r), ("", ""))[1] for r in np.unique(examples.recording_ids)}),
    )
    metrics["split"] = {**plan.describe(), "per_fold": notes}
    metrics["head"] = config.kind
    return metrics
