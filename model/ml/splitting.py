"""Honest evaluation: k folds by recording, where the part that stops training early is never
the part the average precision is reported on.

Each fold holds out a *test* part (AP is measured there and nowhere else) and picks a
*validation* part from the rest (early stopping looks only there); the head learns on what
is left. Every labelled window is tested exactly once across the folds, so the per-class AP
comes with a spread (one figure per fold) as well as a pooled figure.

Groups are whole recordings, because neighbouring windows of one file share calls, background
and often the individual: a model tested on windows of a recording it learnt from looks far
better than it is. A class whose positives all come from one recording would then never be on
both sides, so that recording is cut into contiguous blocks of time instead, and training or
validation windows that overlap a test window in time are dropped. Such a class is reported
with a warning: its AP says how well the model finds that one bird again in that one night,
not how it does on new ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from model.ml.dataset import POSITIVE, Examples

DEFAULT_FOLDS = 5
MIN_EXAMPLES = 10  # fewer labelled windows: nothing is held out, nothing is reported
VALIDATION_FRACTION = 0.2


@dataclass(frozen=True)
class Fold:
    train: np.ndarray  # indices into Examples
    validation: np.ndarray  # early stopping only
    test: np.ndarray  # AP only

    def describe(self) -> dict[str, int]:
        return {
            "train_clips": int(len(self.train)),
            "validation_clips": int(len(self.validation)),
            "test_clips": int(len(self.test)),
        }


@dataclass(frozen=True)
class FoldPlan:
    folds: tuple[Fold, ...]
    groups: np.ndarray  # group id of each example
    block_recordings: tuple[int, ...]  # recordings cut into blocks of time
    method: str  # "recording", "recording+time-block", "time-block" or "none"

    def describe(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "folds": len(self.folds),
            "block_recordings": list(self.block_recordings),
            "per_fold": [f.describe() for f in self.folds],
        }


def _single_recording_classes(examples: Examples) -> set[int]:
    """Recordings that hold the only positives of some class (cut into time blocks)."""
    out: set[int] = set()
    for column in range(examples.targets.shape[1]):
        recordings = np.unique(examples.recording_ids[examples.targets[:, column] == POSITIVE])
        if len(recordings) == 1:
            out.add(int(recordings[0]))
    return out


def make_groups(examples: Examples, folds: int) -> tuple[np.ndarray, tuple[int, ...]]:
    """One group per recording, except recordings cut into ``folds`` blocks of time."""
    groups = examples.recording_ids.astype(np.int64) * 1000
    blocked = _single_recording_classes(examples)
    if len(np.unique(examples.recording_ids)) < 3:
        blocked = set(np.unique(examples.recording_ids).tolist())
    for rid in sorted(blocked):
        index = np.flatnonzero(examples.recording_ids == rid)
        ordered = index[np.argsort(examples.starts[index], kind="stable")]
        for block, part in enumerate(np.array_split(ordered, min(folds, len(ordered)))):
            groups[part] = rid * 1000 + 1 + block
    return groups, tuple(sorted(blocked))


def _assign(groups: np.ndarray, targets: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold of each group: rarest classes first, each group into the fold that has fewest of
    its classes' positives so far (ties: fewest windows), so positives spread over folds."""
    unique, inverse = np.unique(groups, return_inverse=True)
    positives = np.zeros((len(unique), targets.shape[1]))
    np.add.at(positives, inverse, (targets == POSITIVE).astype(float))
    sizes = np.bincount(inverse, minlength=len(unique)).astype(float)
    totals = np.maximum(positives.sum(axis=0), 1)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(unique))
    rarity = np.where(positives[order] > 0, 1 / totals, 0).max(axis=1)
    order = order[np.argsort(-rarity, kind="stable")]
    fold_pos = np.zeros((folds, targets.shape[1]))
    fold_size = np.zeros(folds)
    fold_of = np.zeros(len(unique), np.int64)
    for g in order:
        load = (fold_pos * (positives[g] > 0) / totals).sum(axis=1)
        choice = int(np.lexsort((fold_size, load))[0])
        fold_of[g] = choice
        fold_pos[choice] += positives[g]
        fold_size[choice] += sizes[g]
    return fold_of[inverse]


def _purge(examples: Examples, keep: np.ndarray, against: np.ndarray) -> np.ndarray:
    """``keep`` without windows that share audio with a window in ``against``."""
    if len(keep) == 0 or len(against) == 0:
        return keep
    clip = examples.clip_seconds
    mask = np.ones(len(keep), bool)
    for rid in np.intersect1d(examples.recording_ids[keep], examples.recording_ids[against]):
        mine = examples.recording_ids[keep] == rid
        theirs = np.sort(examples.starts[against][examples.recording_ids[against] == rid])
        starts = examples.starts[keep][mine]
        pos = np.searchsorted(theirs, starts)
        near = np.zeros(len(starts), bool)
        for shift in (-1, 0):
            j = np.clip(pos + shift, 0, len(theirs) - 1)
            near |= np.abs(theirs[j] - starts) < clip - 1e-9
        mask[np.flatnonzero(mine)[near]] = False
    return keep[mask]


def _validation_groups(
    examples: Examples, groups: np.ndarray, rest: np.ndarray, order: list[int]
) -> np.ndarray:
    """Groups of ``rest`` for early stopping: about a fifth of its windows, never taking the
    last group of positives of a class away from training. Each group's size and positives
    are counted once (a pass over every window per group had cost 7 s of a 300,000-window
    evaluation)."""
    present, inverse = np.unique(groups[rest], return_inverse=True)
    sizes = np.bincount(inverse, minlength=len(present))
    positives = np.zeros((len(present), examples.targets.shape[1]), np.int64)
    np.add.at(positives, inverse, examples.targets[rest] == POSITIVE)
    left = positives.sum(axis=0)  # positives of rest not taken yet
    goal = VALIDATION_FRACTION * len(rest)
    chosen: list[int] = []
    taken = 0
    for g in order:
        j = int(np.searchsorted(present, g))
        if j == len(present) or present[j] != g:
            continue
        if ((positives[j] > 0) & (left - positives[j] <= 0)).any():
            continue
        chosen.append(j)
        left -= positives[j]
        taken += int(sizes[j])
        if taken >= goal:
            break
    return np.sort(rest[np.isin(inverse, chosen)])


def plan_folds(examples: Examples, folds: int = DEFAULT_FOLDS, seed: int = 0) -> FoldPlan:
    """The k folds (fewer when there are fewer groups); none when too little is labelled."""
    count = len(examples)
    if count < MIN_EXAMPLES:
        return FoldPlan((), np.zeros(count, np.int64), (), "none")
    groups, blocked = make_groups(examples, folds)
    unique = np.unique(groups)
    k = min(folds, len(unique))
    if k < 3:
        return FoldPlan((), groups, blocked, "none")
    fold_of = _assign(groups, examples.targets, k, seed)
    first = np.unique(groups, return_index=True)[1]
    fold_of_group = dict(zip(groups[first].tolist(), fold_of[first].tolist(), strict=True))
    rng = np.random.default_rng(seed + 1)
    result = []
    for i in range(k):
        test = np.flatnonzero(fold_of == i)
        rest = np.flatnonzero(fold_of != i)
        # Validation groups: the next fold's first, then the others, shuffled.
        candidates = sorted(
            np.unique(groups[rest]).tolist(),
            key=lambda g: (int(fold_of_group[g]) != (i + 1) % k, rng.random()),
        )
        validation = _validation_groups(examples, groups, rest, candidates)
        train = np.setdiff1d(rest, validation)
        validation = _purge(examples, validation, test)
        train = _purge(examples, _purge(examples, train, test), validation)
        result.append(Fold(train, validation, test))
    method = "recording" if not blocked else "recording+time-block"
    if len(blocked) == len(np.unique(examples.recording_ids)):
        method = "time-block"
    return FoldPlan(tuple(result), groups, blocked, method)


def final_split(examples: Examples, seed: int = 0) -> Fold:
    """Train/validation for the model that is kept (trained on every labelled window but the
    validation part its early stopping watches); no test part: the folds measured it."""
    groups, _ = make_groups(examples, DEFAULT_FOLDS)
    everything = np.arange(len(examples))
    if len(examples) < MIN_EXAMPLES or len(np.unique(groups)) < 2:
        return Fold(everything, np.empty(0, np.int64), np.empty(0, np.int64))
    rng = np.random.default_rng(seed + 2)
    order = [int(g) for g in rng.permutation(np.unique(groups))]
    validation = _validation_groups(examples, groups, everything, order)
    train = _purge(examples, np.setdiff1d(everything, validation), validation)
    return Fold(train, validation, np.empty(0, np.int64))
