"""The default head: one L2-regularised logistic regression per class on standardised features.

Why it is fast enough to refit five times after every labelling round: with fewer labelled
windows than feature values (360 windows of 2,048 ResNet50 values is typical), the L2
optimum always lies in the span of the training windows (the penalty's gradient is the only
part outside it, and it pulls the weights to zero there). So each fit first rotates the
standardised windows onto that span once (a thin SVD, shared by every class) and solves the
same logistic regression on n instead of d values per window; the weights are rotated back
and are the same optimum scikit-learn would find on the raw d values, to its tolerance.

The fitted weights are plain NumPy (``LinearWeights``): the folds of the evaluation score
with them directly, and only the model that is kept becomes a Keras head (two built-in
layers, so a bundle loads in Keras' safe mode).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from model.jobs import Reporter
from model.ml.feature_table import FeatureRows

if TYPE_CHECKING:
    from model.ml.head import HeadConfig

# Below this ratio of windows to feature values the rotation onto the windows' span pays:
# measured with one BLAS thread on ResNet50 features (2,048 values), 2.2x quicker at 700
# windows and 1.8x at 1,000, but 2.6x slower at 1,500 (the Gram matrix grows with n squared).
ROW_SPACE_RATIO = 0.5
SOLVER_THREADS = 1  # see fit_linear_weights
# Singular values below this fraction of the largest carry no direction the data can fix.
RANK_TOLERANCE = 1e-6


def feature_statistics(features: np.ndarray | FeatureRows) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance for the head's input normalisation, with a variance floor: the
    untrained backbone has near-constant features that would otherwise be blown up."""
    if isinstance(features, FeatureRows):  # on disk: estimated from a bounded sample
        mean, variance = features.moments()
    else:
        mean = features.mean(axis=0)
        variance = features.var(axis=0)
    floor = 1e-3 * float(variance.mean()) + 1e-12
    return mean.astype(np.float32), np.maximum(variance, floor).astype(np.float32)


@dataclass(frozen=True)
class LinearWeights:
    """A fitted linear head: weights on standardised features, and the statistics."""

    weights: np.ndarray  # (d, k)
    bias: np.ndarray  # (k,)
    mean: np.ndarray  # (d,)
    variance: np.ndarray  # (d,)

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


def fit_linear_weights(
    features: np.ndarray,
    targets: np.ndarray,
    config: HeadConfig,
    *,
    reporter: Reporter | None = None,
) -> LinearWeights:
    """One logistic regression per class on the windows whose label for it is known.

    BLAS runs on one thread here: the solver's products are small (hundreds of windows), so a
    second thread has little to gain, and threaded BLAS on a busy CPU (a scoring job beside
    it, or other programs) spins waiting for its threads: newton-cg on 718 x 1,024 BirdNET
    features measured 30x slower with two threads than with one while the CPU was shared."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=SOLVER_THREADS, user_api="blas"):
        return _fit_linear_weights(features, targets, config, reporter)


def _fit_linear_weights(
    features: np.ndarray,
    targets: np.ndarray,
    config: HeadConfig,
    reporter: Reporter | None,
) -> LinearWeights:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    mean, variance = feature_statistics(features)
    x = ((features - mean) / np.sqrt(variance)).astype(np.float64)
    design, basis = _design(x)
    weights = np.zeros((features.shape[1], targets.shape[1]), np.float64)
    bias = np.zeros(targets.shape[1], np.float64)
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            # newton-cg reaches the optimum at scikit-learn's default tolerance; lbfgs (the
            # default solver) stopped short of it on untrained-ResNet50 features (objective
            # 3.6% higher), and its held-out AP then depends on where it happened to stop.
            fitted = LogisticRegression(C=config.c, solver="newton-cg", max_iter=2000).fit(
                design[known], y
            )
        coef = fitted.coef_[0]
        weights[:, column] = coef if basis is None else basis.T @ coef
        bias[column] = fitted.intercept_[0]
    return LinearWeights(weights, bias, mean, variance)


def fit_linear(
    features: np.ndarray,
    targets: np.ndarray,
    config: HeadConfig,
    *,
    reporter: Reporter | None = None,
) -> Any:
    """The fitted head as ``FitResult`` with its Keras model (for bundles)."""
    from model.ml.head import FitResult

    started = time.monotonic()
    fitted = fit_linear_weights(features, targets, config, reporter=reporter)
    return FitResult(model=fitted.keras_model(), seconds=time.monotonic() - started)
