"""Training the heads on more labelled windows than memory should hold (``FeatureRows``).

Both heads learn from mini-batches drawn through the table's bounded shuffle buffer, so memory
is the buffer's size (and the backend's, for the MLP), whatever the number of windows:

- the linear head minimises scikit-learn's objective for it (per class: mean logistic loss over
  its known windows plus ``|w|^2 / (2 C n)``) with Adam steps of 1,024 windows in NumPy, the
  learning rate decaying to zero: ``linear_steps`` of them, twenty passes over the windows
  between ``MIN_LINEAR_STEPS`` and ``LINEAR_STEPS`` (300 steps for 5,000 windows, two passes
  over 300k); the result scores like the exact fit (a test compares them). Features that fit
  in memory (an array) are drawn from it directly, without a table on disk;
- the MLP trains as in memory, but an epoch is at most ``EPOCH_WINDOWS`` windows (early stopping
  looks that often) and batches grow with the data (``batch_size_for``), because a fixed batch of
  64 makes per-step overhead, not arithmetic, the cost of a pass over 100,000s of windows.

The MLP's batches go to the Keras backend as float16 (half the copying); its first layer works in
float32.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

import numpy as np

from model.jobs import Reporter
from model.ml.feature_table import FeatureRows
from model.ml.scoring.prefetch import Prefetch

LINEAR_STEPS = 600  # most Adam steps for the linear head (two passes over 300k windows)
# Fewest: 150 steps on 5,000 windows lost 0.01 mAP to the exact fit, 300 none (2 tasks, 96-512
# values); a step costs the same whatever the data, so small fits need not take 600.
MIN_LINEAR_STEPS = 300
LINEAR_PASSES = 20
LINEAR_BATCH = 1024
LINEAR_RATE = 3e-3
EPOCH_WINDOWS = 65_536
MAX_BATCH = 1024
RING = 4  # float32 batch buffers of the linear head's prefetch thread


def batch_size_for(windows: int, smallest: int) -> int:
    """``smallest`` up to 32k windows, then doubling with the data, at most ``MAX_BATCH``."""
    size = smallest
    while size < MAX_BATCH and windows > 512 * size:
        size *= 2
    return size


def linear_steps(windows: int) -> int:
    """Adam steps of the linear head on ``windows``: whole passes, about ``LINEAR_PASSES`` of
    them, at least ``MIN_LINEAR_STEPS`` and at most about ``LINEAR_STEPS`` steps."""
    per_pass = max(1, math.ceil(windows / LINEAR_BATCH))
    wanted = min(LINEAR_STEPS, max(MIN_LINEAR_STEPS, LINEAR_PASSES * per_pass))
    return per_pass * max(1, round(wanted / per_pass))


def _shuffled(
    rows: FeatureRows | np.ndarray, rng: np.random.Generator, batch_size: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One pass in a fresh random order: the table's bounded shuffle, or an array's rows."""
    if isinstance(rows, FeatureRows):
        yield from rows.shuffled(rng, batch_size)
        return
    order = rng.permutation(len(rows))
    for begin in range(0, len(order), batch_size):
        part = np.sort(order[begin : begin + batch_size])  # in memory order: a quicker gather
        yield part, rows[part]


def batches(
    rows: FeatureRows | np.ndarray,
    targets: np.ndarray,
    batch_size: int,
    seed: int,
    stop: threading.Event | None = None,
) -> Generator[tuple[np.ndarray, np.ndarray], None, None]:
    """(float16 features, float32 targets) batches, a fresh order each pass, until ``stop``."""
    rng = np.random.default_rng(seed)
    targets = np.asarray(targets, np.float32)
    while stop is None or not stop.is_set():
        for index, block in _shuffled(rows, rng, batch_size):
            if stop is not None and stop.is_set():
                return
            yield block, targets[index]


@contextlib.contextmanager
def _dataset(rows: FeatureRows, targets: np.ndarray, batch_size: int, seed: int) -> Iterator[Any]:
    """What the backend's ``fit`` reads ``batches`` as (a tf.data view on TensorFlow). Its
    generator is stopped and closed afterwards: TensorFlow would otherwise keep it, with its
    shuffle buffer, alive for as long as the process."""
    from model.ml import backends

    stop = threading.Event()
    generator = batches(rows, targets, batch_size, seed, stop)
    try:
        yield backends.current().stream_data(generator, rows.dim, targets.shape[1])
    finally:
        stop.set()
        with contextlib.suppress(ValueError):  # still running in TensorFlow's thread: it
            generator.close()  # returns at its next batch, seeing ``stop``


def fit_linear_streaming(
    rows: FeatureRows | np.ndarray,
    targets: np.ndarray,
    config: Any,
    *,
    reporter: Reporter | None = None,
) -> Any:
    """The linear head (``linear_head.build_linear_head``) fitted by mini-batches (FitResult).

    BLAS on one thread: its products here are small (1,024 x 2,048 by k), and a second thread
    on a busy CPU spins waiting: a fit on 40k windows took 18 s of CPU with two threads, 8 s
    with one (threadpoolctl comes with scikit-learn)."""
    from model.ml.head import FitResult
    from model.ml.linear_head import build_linear_head

    started = time.monotonic()
    fitted = linear_weights_by_adam(rows, targets, config, reporter=reporter)
    final = build_linear_head(fitted.weights, fitted.bias, fitted.mean, fitted.variance)
    return FitResult(model=final, seconds=time.monotonic() - started)


def linear_weights_by_adam(
    rows: FeatureRows | np.ndarray,
    targets: np.ndarray,
    config: Any,
    *,
    reporter: Reporter | None = None,
) -> Any:
    """The same fit as NumPy weights (``linear_head.LinearWeights``)."""
    return linear_models_by_adam(rows, targets, None, config, reporter=reporter)[0]


def linear_models_by_adam(
    rows: FeatureRows | np.ndarray,
    targets: np.ndarray,
    members: np.ndarray | None,
    config: Any,
    *,
    reporter: Reporter | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Any]:
    """Linear heads fitted on one stream of batches: model ``m`` learns from the windows
    ``members[:, m]`` marks (None: one model, every window), its statistics and strength
    from them alone, so each is the fit of its own windows; the others' windows only pass by
    with no weight in its gradient. The evaluation's folds are fitted so: each batch is read
    and converted to float32 once for all of them, and their products are one product with
    k x folds columns, which costs what one with k columns costs (a step is memory-bound).
    Five folds after a 300,000-clip retrain had been five such fits, 150 s of CPU.

    ``progress(step, steps)`` every few steps. Returns one ``LinearWeights`` per model."""
    from threadpoolctl import threadpool_limits

    from model.ml.linear_head import LinearWeights

    # One BLAS thread throughout (statistics too): on a busy CPU a second one spins waiting,
    # and the fold statistics' products took 5x the CPU with two.
    with threadpool_limits(limits=1, user_api="blas"):
        mean, variance, members = _statistics(rows, members)
        weights, bias = _adam_linear(
            rows, targets, members, mean, variance, config, reporter, progress
        )
    return [
        LinearWeights(
            np.ascontiguousarray(weights[:, m]),
            bias[m].copy(),
            mean[:, m].copy(),
            variance[:, m].copy(),
        )
        for m in range(members.shape[1])
    ]


def _statistics(
    rows: FeatureRows | np.ndarray, members: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, variance: (d, models), members) of each model's own windows."""
    from model.ml.linear_head import LINEAR_VARIANCE_FLOOR, feature_statistics, floored

    if members is None:
        stats = [feature_statistics(rows, LINEAR_VARIANCE_FLOOR)]
        members = np.ones((len(rows), 1), bool)
    elif isinstance(rows, FeatureRows):  # every model's sample from one pass
        members = np.asarray(members, bool)
        means, variances = rows.moments_by(members)
        pairs = zip(means, variances, strict=True)
        stats = [floored(m, v, LINEAR_VARIANCE_FLOOR) for m, v in pairs]
    else:
        members = np.asarray(members, bool)
        stats = [
            feature_statistics(rows[np.flatnonzero(column)], LINEAR_VARIANCE_FLOOR)
            for column in members.T
        ]
    mean = np.stack([m for m, _ in stats], axis=1)
    return mean, np.stack([v for _, v in stats], axis=1), members


def _adam_linear(
    rows: FeatureRows | np.ndarray,
    targets: np.ndarray,
    members: np.ndarray,
    mean: np.ndarray,
    variance: np.ndarray,
    config: Any,
    reporter: Reporter | None,
    progress: Callable[[int, int], None] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Weights (d, models, k) on standardised features, by Adam in NumPy (a Keras step cost
    three times as much CPU for two small products). Per step, for a batch x of B windows
    and each model (its mean m, scale s, and the windows it learns from):

        logits = x @ (W * s) + b - (m * s) @ W         (standardising folded into W)
        G      = (sigmoid(logits) - y) * known * mine * (N / known windows of the class) / B
        dW     = s * (x^T G - m sum(G)) + 2 l2 W,  db = sum(G),  l2 = 1 / (2 C n)

    so the standardised batch is never formed; G of every model is one (B, models x k)
    matrix, and each product is one product for all the models."""
    k, models, dim = targets.shape[1], members.shape[1], rows.shape[1]
    known = targets >= 0
    counts = (known[:, None, :] & members[:, :, None]).sum(axis=0)  # (models, k)
    coef = np.where(counts > 0, len(rows) / np.maximum(counts, 1), 0.0).astype(np.float32)
    scale = (1.0 / np.maximum(np.sqrt(variance), 1e-7)).astype(np.float32)  # (d, models)
    mean = mean.astype(np.float32)
    l2 = (1.0 / (2.0 * config.c * np.maximum(members.sum(axis=0), 1))).astype(np.float32)
    steps = linear_steps(len(rows))
    weights = np.zeros((dim, models, k), np.float32)
    bias = np.zeros((models, k), np.float32)
    moments = [np.zeros_like(weights), np.zeros_like(weights), np.zeros_like(bias)]
    moments.append(np.zeros_like(bias))
    # Which models a window trains rides along with its targets through the shuffle.
    carried = np.hstack([np.asarray(targets, np.float32), members.astype(np.float32)])
    stream = Prefetch(
        _float32(batches(rows, carried, LINEAR_BATCH, config.seed), dim),
        depth=RING - 2, name="sonotag-batches",
    )  # fmt: skip
    try:
        for step in range(1, steps + 1):
            if step % 16 == 0:
                if reporter is not None:
                    reporter.check()
                if progress is not None:
                    progress(step, steps)
            x, block = next(stream)
            y, mine = block[:, :k], block[:, k:] > 0.5
            folded = (weights * scale[:, :, None]).reshape(dim, models * k)
            offset = bias - np.einsum("dm,dmk->mk", mean * scale, weights)
            logits = (x @ folded).reshape(len(x), models, k) + offset
            p = 0.5 * (1.0 + np.tanh(0.5 * logits))  # sigmoid without overflow
            used = (y >= 0)[:, None, :] & mine[:, :, None]
            g = np.where(used, (p - np.clip(y, 0, 1)[:, None, :]) * coef, 0.0) / len(x)
            g = g.astype(np.float32)
            g_bias = g.sum(axis=0)
            xtg = (x.T @ g.reshape(len(x), models * k)).reshape(dim, models, k)
            g_weights = scale[:, :, None] * (xtg - mean[:, :, None] * g_bias)
            g_weights += 2 * l2[None, :, None] * weights
            rate = LINEAR_RATE * 0.5 * (1.0 + math.cos(math.pi * (step - 1) / steps))
            _adam_step(weights, g_weights, moments[0], moments[1], rate, step)
            _adam_step(bias, g_bias, moments[2], moments[3], rate, step)
    finally:
        stream.close()
    return weights, bias


def _float32(
    stream: Iterator[tuple[np.ndarray, np.ndarray]], dim: int
) -> Generator[tuple[np.ndarray, np.ndarray], None, None]:
    """The batches as float32, into a ring of ``RING`` buffers (a new 8 MB array per step
    page-faults). Run in a thread (``Prefetch``, ``RING - 2`` deep, so a buffer is never
    refilled while the fit or the queue holds it): reading, shuffling and converting the next
    batch, half of a step's work, overlaps the products of this one, and all of it releases
    the GIL."""
    ring = [np.empty((LINEAR_BATCH, dim), np.float32) for _ in range(RING)]
    try:
        for number, (half, block) in enumerate(stream):
            x = ring[number % RING][: len(half)]
            np.copyto(x, half)
            yield x, block
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()


def _adam_step(
    value: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray, rate: float, step: int
) -> None:
    """Keras' Adam (beta 0.9 / 0.999, epsilon 1e-7), in place."""
    m += 0.1 * (grad - m)
    v += 0.001 * (np.square(grad) - v)
    alpha = rate * math.sqrt(1 - 0.999**step) / (1 - 0.9**step)
    value -= alpha * m / (np.sqrt(v) + 1e-7)


def fit_mlp_streaming(
    model: Any,
    rows: FeatureRows,
    targets: np.ndarray,
    config: Any,
    callbacks: list[Any],
) -> int:
    """Fits the compiled MLP (``head.fit_head`` sets up loss and callbacks); returns the
    number of windows in an epoch."""
    epoch = min(len(rows), EPOCH_WINDOWS)
    batch = batch_size_for(len(rows), config.batch_size)
    with _dataset(rows, targets, batch, config.seed) as data:
        model.fit(
            data,
            epochs=config.epochs,
            steps_per_epoch=math.ceil(epoch / batch),
            callbacks=callbacks,
            shuffle=False,
            verbose=0,
        )
    return epoch
