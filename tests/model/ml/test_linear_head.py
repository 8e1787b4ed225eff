"""The linear head: solved on the span of the windows, yet the same optimum as on all values."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from model.ml import linear_head
from model.ml.head import HeadConfig
from model.ml.linear_head import fit_linear_weights


def _task(n: int = 120, d: int = 600, k: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative, badly scaled features (like pooled ReLU outputs) with overlapping classes,
    some constant and some nearly so (the untrained backbone has both)."""
    rng = np.random.default_rng(seed)
    targets = (rng.random((n, k)) < 0.3).astype(np.int8)
    targets[rng.random((n, k)) < 0.1] = -1  # unknown for that class
    prototypes = rng.normal(0, 1, (k, d))
    raw = rng.normal(0, 1, (n, d)) + 0.4 * np.clip(targets, 0, 1) @ prototypes
    features = np.maximum(raw, 0) * rng.lognormal(0, 1.5, d)
    features[:, : d // 20] = 0.0  # dead units
    features[:, d // 20 : d // 10] *= 1e-3  # nearly dead, still carrying the classes
    return features.astype(np.float32), targets


def _standardised(features: np.ndarray) -> np.ndarray:
    from sklearn.preprocessing import StandardScaler

    return StandardScaler().fit_transform(features.astype(np.float64))


def _objective(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, c: float) -> float:
    logits = x @ w + b
    return 0.5 * float(w @ w) + c * float(np.sum(np.logaddexp(0, logits) - y * logits))


def _full_solution(features: np.ndarray, targets: np.ndarray, column: int, c: float) -> tuple:
    """scikit-learn's standardised logistic regression (StandardScaler, every feature value),
    converged tightly: the reference optimum, the baseline the head must match."""
    from sklearn.linear_model import LogisticRegression

    x = _standardised(features)
    known = targets[:, column] >= 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = LogisticRegression(C=c, solver="newton-cg", tol=1e-10, max_iter=10_000).fit(
            x[known], targets[known, column]
        )
    return x[known], targets[known, column], fitted.coef_[0], fitted.intercept_[0]


def test_the_span_solution_is_the_optimum_of_the_full_problem() -> None:
    features, targets = _task()
    config = HeadConfig(c=1.0)
    fitted = fit_linear_weights(features, targets, config)
    for column in range(targets.shape[1]):
        x, y, w_ref, b_ref = _full_solution(features, targets, column, config.c)
        ours = _objective(x, y, fitted.weights[:, column], fitted.bias[column], config.c)
        best = _objective(x, y, w_ref, b_ref, config.c)
        assert ours <= best * (1 + 1e-4), (column, ours, best)
        assert np.allclose(fitted.weights[:, column], w_ref, atol=2e-3 * np.abs(w_ref).max())


def test_the_span_is_used_only_where_it_pays(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []
    original = linear_head._design

    def spy(x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        design, basis = original(x)
        calls.append((design.shape[1], 0 if basis is None else basis.shape[0]))
        return design, basis

    monkeypatch.setattr(linear_head, "_design", spy)
    features, targets = _task(n=120, d=600)
    fit_linear_weights(features, targets, HeadConfig())
    wide, tall = _task(n=300, d=200, seed=1)
    fit_linear_weights(wide, tall, HeadConfig())
    assert calls[0][0] <= 120 and calls[0][1] == calls[0][0]  # rotated onto <= n values
    assert calls[1] == (200, 0)  # more windows than values: solved as it is


def test_numpy_scores_are_the_keras_heads_scores() -> None:
    features, targets = _task()
    fitted = fit_linear_weights(features, targets, HeadConfig())
    model = fitted.keras_model()
    keras_scores = np.asarray(model(features, training=False))
    assert np.abs(keras_scores - fitted.scores(features)).max() < 1e-5


def test_a_class_with_one_side_only_gets_a_constant_score() -> None:
    features, targets = _task()
    targets[:, 0] = np.where(targets[:, 0] >= 0, 0, -1)  # no positive at all
    fitted = fit_linear_weights(features, targets, HeadConfig())
    scores = fitted.scores(features)[:, 0]
    assert np.ptp(scores) == 0 and scores[0] == pytest.approx(0.01, abs=1e-6)


def test_weak_regularisation_is_solved_to_the_optimum_too() -> None:
    """At C = 1000 scikit-learn's default tolerance stopped newton-cg far from the optimum on
    nearly separable windows, and the scores then depended on where it stopped."""
    features, targets = _task(n=150, d=400, seed=3)
    config = HeadConfig(c=1000.0, c_grid=())
    fitted = fit_linear_weights(features, targets, config)
    for column in range(targets.shape[1]):
        x, y, w_ref, b_ref = _full_solution(features, targets, column, config.c)
        ours = _objective(x, y, fitted.weights[:, column], fitted.bias[column], config.c)
        best = _objective(x, y, w_ref, b_ref, config.c)
        assert ours <= best * (1 + 1e-5), (column, ours, best)


def _grouped_task(noisy: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list]:
    """12 recordings of 30 windows; the class is one feature's sign among 200 noise values,
    with a margin: the weaker the L2, the surer and still right the held-out scores.
    ``noisy``: a third of the labels flipped at random, which only strong L2 shrugs off."""
    rng = np.random.default_rng(seed)
    n, d = 360, 200
    features = rng.normal(0, 1, (n, d))
    targets = (features[:, 0] > 0).astype(np.int8)[:, None]
    features[:, 0] += np.where(targets[:, 0] == 1, 1.0, -1.0)  # a margin between the sides
    if noisy:
        flip = rng.random(n) < 0.35
        targets[flip, 0] = 1 - targets[flip, 0]
    recording = np.repeat(np.arange(12), 30)
    folds = [
        (np.flatnonzero(recording % 4 != k), np.flatnonzero(recording % 4 == k)) for k in range(4)
    ]
    return features.astype(np.float32), targets, folds


def _fold_log_loss(features: np.ndarray, targets: np.ndarray, folds: list, c: float) -> float:
    """Held-out log loss over the folds, computed apart from the head (full feature space)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    x = _standardised(features)
    y = targets[:, 0]
    total = 0.0
    for train, test in folds:
        model = LogisticRegression(C=c, solver="newton-cg", tol=1e-10, max_iter=10_000)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(x[train], y[train])
        total += log_loss(y[test], model.predict_proba(x[test]), labels=[0, 1]) * len(test)
    return total


def test_each_class_chooses_the_strength_with_the_lowest_held_out_log_loss() -> None:
    config = HeadConfig(c_grid=(0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0))
    chosen = []
    for noisy in (False, True):
        features, targets, folds = _grouped_task(noisy)
        losses = [_fold_log_loss(features, targets, folds, c) for c in config.c_grid]
        c = fit_linear_weights(features, targets, config, folds=folds).c[0]
        assert c == config.c_grid[int(np.argmin(losses))], (noisy, losses)
        chosen.append(c)
    assert chosen[0] >= 10 and chosen[1] <= 1  # clean: weak L2; noisy labels: strong
    # Without folds, or without a grid (the default), the fixed strength is used.
    features, targets, folds = _grouped_task(False)
    assert fit_linear_weights(features, targets, config).c[0] == config.c
    assert fit_linear_weights(features, targets, HeadConfig(c=3.0), folds=folds).c[0] == 3.0
