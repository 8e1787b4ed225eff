"""The linear head: solved on the span of the windows, yet the same optimum as on all values."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from model.ml import linear_head
from model.ml.head import HeadConfig
from model.ml.linear_head import feature_statistics, fit_linear_weights


def _task(n: int = 120, d: int = 600, k: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative, badly scaled features (like pooled ReLU outputs) with overlapping classes."""
    rng = np.random.default_rng(seed)
    targets = (rng.random((n, k)) < 0.3).astype(np.int8)
    targets[rng.random((n, k)) < 0.1] = -1  # unknown for that class
    prototypes = rng.normal(0, 1, (k, d))
    raw = rng.normal(0, 1, (n, d)) + 0.4 * np.clip(targets, 0, 1) @ prototypes
    return (np.maximum(raw, 0) * rng.lognormal(0, 1.5, d)).astype(np.float32), targets


def _objective(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, c: float) -> float:
    logits = x @ w + b
    return 0.5 * float(w @ w) + c * float(np.sum(np.logaddexp(0, logits) - y * logits))


def _full_solution(features: np.ndarray, targets: np.ndarray, column: int, c: float) -> tuple:
    """scikit-learn on every feature value, converged tightly: the reference optimum."""
    from sklearn.linear_model import LogisticRegression

    mean, variance = feature_statistics(features)
    x = ((features - mean) / np.sqrt(variance)).astype(np.float64)
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
