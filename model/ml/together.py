"""The evaluation's linear folds, and with them the head that is kept, fitted on one stream.

Past ``EXACT_WINDOWS`` labelled windows the linear head learns by Adam steps on mini-batches
(``model.ml.streaming``), and each step costs what reading a batch and converting it to float32
costs: its products with k columns are memory-bound, so k x folds columns cost about the same.
The five folds of a 300,000-clip retrain had been five such fits after the kept head's own
(150 s of CPU on 2 cores). Here they are one fit of several models: every batch is read once,
each model's gradient counts only its own training windows (``members``), its statistics and
L2 strength come from them alone, so no fold's head ever learns from the windows it is
measured on. The held-out windows are then scored in one pass over the features.

When the training job also measures (``sonotag train``), the kept head is one more model on
the same stream: it is ready when it would have been alone, and the folds come for free.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.jobs import Reporter
from model.ml.dataset import Examples
from model.ml.feature_table import CHUNK_ROWS, FeatureRows
from model.ml.head import (
    EXACT_WINDOWS,
    LINEAR,
    Features,
    FitResult,
    HeadConfig,
    fits_exactly,
    inference_copy,
    summarise,
)
from model.ml.linear_head import LinearWeights
from model.ml.scoring.prefetch import Prefetch
from model.ml.splitting import Fold, FoldPlan, plan_folds
from model.ml.streaming import linear_models_by_adam

SCORE_ROWS = 4096  # held-out rows scored at a time (float32: 32 MB of 2,048-d rows)


@dataclass(frozen=True)
class FoldHeads:
    """The folds' heads (one per fold of ``plan``) and the seconds their shared fit took."""

    plan: FoldPlan
    heads: tuple[LinearWeights, ...]
    seconds: float


def linear_train(fold: Fold) -> np.ndarray:
    """What a fold's linear head learns from: nothing stops early, so its validation part
    trains too."""
    return np.union1d(fold.train, fold.validation)


def fitted_together(features: Features, plan: FoldPlan, config: HeadConfig) -> bool:
    """Whether every fold's head is the linear head fitted by mini-batches (as
    ``crossval._fit_and_score`` would fit it alone)."""
    if config.kind != LINEAR or not plan.folds:
        return False
    if isinstance(features, FeatureRows):
        return True
    return all(len(linear_train(fold)) > EXACT_WINDOWS for fold in plan.folds)


def fold_members(plan: FoldPlan, windows: int) -> np.ndarray:
    """(windows, folds) bool: the windows each fold's head learns from, never its test part."""
    members = np.zeros((windows, len(plan.folds)), bool)
    for number, fold in enumerate(plan.folds):
        members[linear_train(fold), number] = True
        members[fold.test, number] = False  # never, even if a plan overlapped them
    return members


def fit_folds(
    features: Features,
    examples: Examples,
    plan: FoldPlan,
    config: HeadConfig,
    *,
    with_final: bool = False,
    reporter: Reporter | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[LinearWeights | None, FoldHeads]:
    """Every fold's head on one stream of batches, and with ``with_final`` the head that is
    kept (every window) as well: (kept head or None, the folds' heads)."""
    members = fold_members(plan, len(examples))
    if with_final:
        members = np.hstack([np.ones((len(examples), 1), bool), members])
    started = time.monotonic()
    heads = linear_models_by_adam(
        features, examples.targets, members, config, reporter=reporter, progress=progress
    )
    final = heads.pop(0) if with_final else None
    return final, FoldHeads(plan, tuple(heads), time.monotonic() - started)


def out_of_fold(
    fitted: FoldHeads, features: Features, reporter: Reporter | None = None
) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """``crossval.out_of_fold_scores`` from heads fitted together: every test window scored by
    its fold's head, in one pass over the features."""
    plan = fitted.plan
    fold_of = np.full(len(plan.groups), -1, np.int64)
    for number, fold in enumerate(plan.folds):
        fold_of[fold.test] = number
    started = time.monotonic()
    scores = scores_by_fold(list(fitted.heads), features, fold_of)
    seconds = round((fitted.seconds + time.monotonic() - started) / len(plan.folds), 3)
    notes = [
        {**fold.describe(), "epochs": 0, "best_epoch": 0, "seconds": seconds, "together": True}
        for fold in plan.folds
    ]
    if reporter is not None:
        reporter.check()
    return scores, fold_of, notes


def scores_by_fold(
    heads: list[LinearWeights], features: Features, fold_of: np.ndarray
) -> np.ndarray:
    """Each tested window's scores from its fold's head, in one pass over the features: every
    head's logits are one float32 product per chunk, standardising folded into the weights as
    the fit folds it. Head by head, converting each chunk and standardising it in float64,
    scoring 300,000 held-out windows had cost 30 s."""
    from threadpoolctl import threadpool_limits

    k = len(heads[0].bias)
    scales = [1.0 / np.maximum(np.sqrt(h.variance.astype(np.float64)), 1e-7) for h in heads]
    pairs = list(zip(heads, scales, strict=True))
    folded = np.concatenate([h.weights * s[:, None] for h, s in pairs], 1).astype(np.float32)
    offset = np.concatenate([h.bias - (h.mean * s) @ h.weights for h, s in pairs])
    offset = offset.astype(np.float32)
    scores = np.zeros((len(fold_of), k), np.float32)
    tested = np.flatnonzero(fold_of >= 0)

    def score(where: np.ndarray, rows: np.ndarray) -> None:
        logits = (np.asarray(rows, np.float32) @ folded + offset).reshape(len(rows), -1, k)
        mine = logits[np.arange(len(rows)), fold_of[where]]
        scores[where] = 0.5 * (1.0 + np.tanh(0.5 * mine))  # sigmoid without overflow

    with threadpool_limits(limits=1, user_api="blas"):  # see linear_models_by_adam
        if isinstance(features, np.ndarray):
            for begin in range(0, len(tested), CHUNK_ROWS):
                where = tested[begin : begin + CHUNK_ROWS]
                score(where, features[where])
        else:  # the next chunk is read and converted in a thread while this one is scored
            with Prefetch(_float32_chunks(features[tested]), depth=1) as chunks:
                for index, rows in chunks:
                    score(tested[index], rows)
    return scores


def _float32_chunks(rows: FeatureRows) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for index, block in rows.chunks(SCORE_ROWS):
        yield index, block.astype(np.float32)


def plan_with_final(
    features: Features,
    examples: Examples,
    config: HeadConfig,
    folds: int,
    seed: int,
    evaluate: bool = True,
) -> FoldPlan | None:
    """The evaluation's folds where the job measures and they and the kept head are linear
    heads learning by mini-batches: then all of them are fitted on one stream."""
    if not evaluate or config.kind != LINEAR or fits_exactly(features):
        return None
    plan = plan_folds(examples, folds, seed)
    return plan if fitted_together(features, plan, config) else None


def fit_final_with_folds(
    features: Features,
    examples: Examples,
    plan: FoldPlan,
    config: HeadConfig,
    reporter: Reporter,
) -> tuple[Any, dict[str, Any], FoldHeads]:
    """``train._fit_final``'s (bundle model, history) for the kept head fitted with the
    folds' heads (``plan_with_final``), and those heads for the figures."""
    message = f"training the {config.kind} head and its {len(plan.folds)} folds"
    reporter.update(0, None, message, stage="training")
    fitted, fold_heads = fit_folds(
        features, examples, plan, config, with_final=True, reporter=reporter,
        progress=lambda step, steps: reporter.update(step, steps, message, stage="training"),
    )  # fmt: skip
    assert fitted is not None
    fit = FitResult(model=fitted.keras_model(), seconds=fold_heads.seconds)
    history = summarise(examples.class_names, fit)
    history.update(head=config.kind, train_clips=len(examples), validation_clips=0)
    history["fitted_with_folds"] = len(plan.folds)
    return inference_copy(fit.model), history, fold_heads
