"""The default head: one L2-regularised logistic regression per class on standardised features.

Every fit is solved to a tight tolerance. That came from asking why scikit-learn's plain
standardised logistic regression (lbfgs, C = 1) scored above this head on the 3-species task of
issue 11: it did not fit better, it stopped earlier. At scikit-learn's default tolerance the
solvers stop well short of the optimum on these features, and the great tit's held-out AP moved
between 0.33 and 0.68 with the stopping point alone; at the optimum, C = 1 gives the same
figures whatever the solver. Each class may instead choose its strength by log loss on folds
by recording of the training windows (``HeadConfig.c_grid``, ``tuning_folds``: the
evaluation's own rule); log loss because AP saturates at 1.0 on every fold of well-separated
classes and cannot tell strengths apart. That is off by default (see ``HeadConfig``).

Why it is fast enough to refit after every labelling round: with fewer labelled windows than
feature values (360 windows of 2,048 ResNet50 values is typical), the L2 optimum always lies
in the span of the training windows (the penalty's gradient is the only part outside it, and
it pulls the weights to zero there), for every fold's subset too. So each fit first rotates the
standardised windows onto that span once (a thin SVD, shared by every class and fold) and
solves the same logistic regression on n instead of d values per window; the weights are
rotated back and are the same optimum scikit-learn would find on the raw d values.

The fitted weights are plain NumPy (``LinearWeights``): the folds of the evaluation score
with them directly, and only the model that is kept becomes a Keras head (two built-in
layers, so a bundle loads in Keras' safe mode; ``sonotag predict`` applies them in NumPy).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from model.jobs import Reporter
from model.ml.dataset import Examples
from model.ml.feature_table import FeatureRows
from model.ml.splitting import DEFAULT_FOLDS, plan_folds

if TYPE_CHECKING:
    from model.ml.head import HeadConfig

# Below this ratio of windows to feature values the rotation onto the windows' span pays:
# measured with one BLAS thread on ResNet50 features (2,048 values), 2.2x quicker at 700
# windows and 1.8x at 1,000, but 2.6x slower at 1,500 (the Gram matrix grows with n squared).
ROW_SPACE_RATIO = 0.5
SOLVER_THREADS = 1  # see fit_linear_weights
# Singular values below this fraction of the largest carry no direction the data can fix.
RANK_TOLERANCE = 1e-6
# Near-constant features' variance is raised to this fraction of the mean for the MLP; the
# linear head standardises every feature and leaves constant ones (variance below
# CONSTANT_VARIANCE of the mean, float rounding) unscaled, as StandardScaler does.
MLP_VARIANCE_FLOOR = 1e-3
LINEAR_VARIANCE_FLOOR = 0.0
CONSTANT_VARIANCE = 1e-12
# scikit-learn's tolerance for the Newton solver (on its gradient of the mean loss).
SOLVER_TOL = 1e-8
Fold = tuple[np.ndarray, np.ndarray]  # (windows fitted on, windows the loss is measured on)


def feature_statistics(
    features: np.ndarray | FeatureRows, floor: float = MLP_VARIANCE_FLOOR
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance for a head's input normalisation.

    ``floor`` (a fraction of the mean variance) raises near-constant features' variance, so
    the MLP's first layer is not blown up by the untrained backbone's near-constant features.
    The linear head passes 0: scikit-learn's ``StandardScaler`` rule, unit variance for every
    feature and scale 1 for constant ones. The floor had cost the linear head 0.01-0.04 held-out
    mAP against that standardised logistic regression on all three draws of the 3-species task,
    with the same C and the same optimum otherwise (bench/bench_quality.py)."""
    if isinstance(features, FeatureRows):  # on disk: estimated from a bounded sample
        mean, variance = features.moments()
    else:
        mean = features.mean(axis=0, dtype=np.float64)
        variance = features.var(axis=0, dtype=np.float64)
    return floored(mean, variance, floor)


def floored(mean: np.ndarray, variance: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """``feature_statistics``' rule for near-constant features, applied to moments."""
    typical = float(np.mean(variance))
    if floor > 0:
        variance = np.maximum(variance, floor * typical + 1e-12)
    else:
        variance = np.where(variance > CONSTANT_VARIANCE * typical + 1e-30, variance, 1.0)
    return mean.astype(np.float32), variance.astype(np.float32)


@dataclass(frozen=True)
class LinearWeights:
    """A fitted linear head: weights on standardised features, and the statistics."""

    weights: np.ndarray  # (d, k)
    bias: np.ndarray  # (k,)
    mean: np.ndarray  # (d,)
    variance: np.ndarray  # (d,)
    c: np.ndarray | None = None  # (k,) each class's L2 strength (NaN: nothing was fitted)

    def scores(self, features: np.ndarray) -> np.ndarray:
        """(N, k) float32 in [0, 1], as the Keras head computes them."""
        x = (np.asarray(features, np.float32) - self.mean) / np.sqrt(self.variance)
        logits = x.astype(np.float64) @ self.weights + self.bias
        return (0.5 * (1.0 + np.tanh(0.5 * logits))).astype(np.float32)  # sigmoid, no overflow

    def keras_model(self) -> Any:
        return build_linear_head(self.weights, self.bias, self.mean, self.variance)


def build_linear_head(
    weights: np.ndarray, bias: np.ndarray, mean: np.ndarray, variance: np.ndarray
) -> Any:
    """Normalisation -> Dense(sigmoid) holding fitted weights; built-in layers only."""
    import keras
    from keras import layers

    inputs = keras.Input((len(mean),), name="features")
    x = layers.Normalization(mean=mean, variance=variance, name="feature_norm")(inputs)
    dense = layers.Dense(len(bias), activation="sigmoid", name="scores", dtype="float32")
    model = keras.Model(inputs, dense(x), name="sonotag_linear_head")
    dense.set_weights([weights.astype(np.float32), bias.astype(np.float32)])
    return model


def _design(x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(what the regressions see, the basis that maps their weights back, or None).

    The span of the windows comes from the eigenvectors of their Gram matrix (n x n) rather
    than an SVD of the windows themselves: ten times quicker at 360 x 2,048, and the
    directions it loses (eigenvalues below ``RANK_TOLERANCE`` squared of the largest) are the
    ones the data cannot fix anyway."""
    n, d = x.shape
    if n >= ROW_SPACE_RATIO * d:
        return x, None
    values, vectors = np.linalg.eigh(x @ x.T)
    keep = values > (RANK_TOLERANCE**2) * max(float(values[-1]), 0.0)
    if not keep.any():
        return x, None
    values, vectors = values[keep], vectors[:, keep]
    scale = np.sqrt(values)
    # x = U S V^T: the rotated windows are U S, the basis V^T = S^-1 U^T x.
    return vectors * scale, (vectors / scale).T @ x


def tuning_folds(examples: Examples, seed: int = 0) -> list[Fold]:
    """The folds that choose each class's regularisation: the evaluation's folds by recording
    (``model.ml.splitting``), applied to the windows the head learns from, so the strength is
    chosen on recordings (or blocks of time) the fit did not see, never on its own windows."""
    plan = plan_folds(examples, DEFAULT_FOLDS, seed)
    return [(np.union1d(f.train, f.validation), f.test) for f in plan.folds]


def fit_linear_weights(
    features: np.ndarray,
    targets: np.ndarray,
    config: HeadConfig,
    *,
    folds: Sequence[Fold] | None = None,
    reporter: Reporter | None = None,
) -> LinearWeights:
    """One logistic regression per class on the windows whose label for it is known, its L2
    strength chosen by ``folds`` (``tuning_folds``) among ``config.c_grid``, or ``config.c``
    where there are no folds.

    BLAS runs on one thread here: the solver's products are small (hundreds of windows), so a
    second thread has little to gain, and threaded BLAS on a busy CPU (a scoring job beside
    it, or other programs) spins waiting for its threads: newton-cg on 718 x 1,024 BirdNET
    features measured 30x slower with two threads than with one while the CPU was shared."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=SOLVER_THREADS, user_api="blas"):
        return _fit_linear_weights(features, targets, config, folds, reporter)


def _solve(x: np.ndarray, y: np.ndarray, c: float, model: Any = None) -> Any:
    """The L2 logistic regression's optimum, to a tolerance tight enough that its scores do
    not depend on where the solver stopped. At scikit-learn's default tolerance (1e-4) both
    newton-cg and lbfgs stop short on untrained-ResNet50 features (at C = 100 newton-cg
    stopped at twice the optimal objective, lbfgs at C = 1 at 10% above it), and the held-out
    AP of the great tit then swung between 0.35 and 0.68 with the stopping point alone.
    newton-cg on (at most) n values per window reaches 1e-8 in about 20 iterations, 20-40 ms
    for 300 windows: quicker here than newton-cholesky and lbfgs at that tolerance.

    ``model``: the fit of the same windows at another strength, to start from (warm start)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    if model is None:
        model = LogisticRegression(solver="newton-cg", tol=SOLVER_TOL, max_iter=1000)
        model.set_params(warm_start=True)
    model.set_params(C=c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(x, y)


def _held_out_loss(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    """Summed log loss: a proper score, so it still ranks strengths where every fold's AP is
    1.0 (well-separated classes), and it punishes confident mistakes that AP forgives."""
    logits = model.decision_function(x)
    return float(np.sum(np.logaddexp(0.0, -(2.0 * y - 1.0) * logits)))


def choose_c(
    x: np.ndarray,
    y: np.ndarray,
    folds: Sequence[Fold],
    config: HeadConfig,
    reporter: Reporter | None = None,
) -> float:
    """The strength in ``config.c_grid`` with the lowest log loss over the folds' held-out
    windows; ``config.c`` when fewer than two folds can be used (a fold counts when its
    training part has both sides and its held-out part has windows)."""
    grid = sorted(config.c_grid)
    losses = np.zeros(len(grid))
    used = 0
    for train, test in folds:
        if len(test) == 0 or np.unique(y[train]).size < 2:
            continue
        used += 1
        model, fit_x, fit_y, test_x, test_y = None, x[train], y[train], x[test], y[test]
        for number, c in enumerate(grid):  # weakest last, each fit starting from the last
            if reporter is not None:
                reporter.check()
            model = _solve(fit_x, fit_y, c, model)
            losses[number] += _held_out_loss(model, test_x, test_y)
    return float(grid[int(np.argmin(losses))]) if used >= 2 and grid else float(config.c)


def _class_folds(folds: Sequence[Fold], known: np.ndarray) -> list[Fold]:
    """``folds`` (indices into all windows) as indices into the windows ``known`` keeps."""
    position = np.full(len(known), -1, np.int64)
    position[known] = np.arange(int(known.sum()))
    return [(position[t][known[t]], position[v][known[v]]) for t, v in folds]


def _fit_linear_weights(
    features: np.ndarray,
    targets: np.ndarray,
    config: HeadConfig,
    folds: Sequence[Fold] | None,
    reporter: Reporter | None,
) -> LinearWeights:
    mean, variance = feature_statistics(features, LINEAR_VARIANCE_FLOOR)
    x = ((features - mean) / np.sqrt(variance)).astype(np.float64)
    design, basis = _design(x)
    weights = np.zeros((features.shape[1], targets.shape[1]), np.float64)
    bias = np.zeros(targets.shape[1], np.float64)
    chosen = np.full(targets.shape[1], np.nan)
    for column in range(targets.shape[1]):
        if reporter is not None:
            reporter.check()
        known = targets[:, column] >= 0
        y = targets[known, column]
        if y.size == 0:
            continue
        if y.min() == y.max():  # one side only: a constant score at that side's rate
            rate = np.clip(y.mean(), 0.01, 0.99)
            bias[column] = np.log(rate / (1 - rate))
            continue
        c = config.c
        if folds is not None and config.c_grid:
            c = choose_c(design[known], y, _class_folds(folds, known), config, reporter)
        fitted = _solve(design[known], y, c)
        coef = fitted.coef_[0]
        weights[:, column] = coef if basis is None else basis.T @ coef
        bias[column] = fitted.intercept_[0]
        chosen[column] = c
    return LinearWeights(weights, bias, mean, variance, chosen)


def fit_linear(
    features: np.ndarray,
    targets: np.ndarray,
    config: HeadConfig,
    *,
    folds: Sequence[Fold] | None = None,
    reporter: Reporter | None = None,
) -> Any:
    """The fitted head as ``FitResult`` with its Keras model (for bundles)."""
    from model.ml.head import FitResult

    started = time.monotonic()
    fitted = fit_linear_weights(features, targets, config, folds=folds, reporter=reporter)
    chosen = None if fitted.c is None else [None if np.isnan(c) else float(c) for c in fitted.c]
    return FitResult(
        model=fitted.keras_model(), seconds=time.monotonic() - started, regularisation=chosen
    )
