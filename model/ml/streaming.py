"""Training the heads on more labelled windows than memory should hold (``FeatureRows``).

Both heads learn from mini-batches drawn through the table's bounded shuffle buffer, so memory
is the buffer's size and TensorFlow's, whatever the number of windows:

- the linear head minimises scikit-learn's objective for it (per class: mean logistic loss over
  its known windows plus ``|w|^2 / (2 C n)``) with about ``LINEAR_STEPS`` Adam steps of 1,024
  windows (two passes over 300k windows, twenty over 30k), the learning rate decaying to zero;
  the result scores like the exact fit (a test compares them);
- the MLP trains as in memory, but an epoch is at most ``EPOCH_WINDOWS`` windows (early stopping
  looks that often) and batches grow with the data (``batch_size_for``), because a fixed batch of
  64 makes per-step overhead, not arithmetic, the cost of a pass over 100,000s of windows.

Batches go to TensorFlow as float16 (half the copying); the first layer works in float32.
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

LINEAR_STEPS = 600  # Adam steps for the linear head, whatever the number of windows
LINEAR_BATCH = 1024
LINEAR_RATE = 3e-3
EPOCH_WINDOWS = 65_536
MAX_BATCH = 1024


def batch_size_for(windows: int, smallest: int) -> int:
    """``smallest`` up to 32k windows, then doubling with the data, at most ``MAX_BATCH``."""
    size = smallest
    while size < MAX_BATCH and windows > 512 * size:
        size *= 2
    return size


def batches(
    rows: FeatureRows,
    targets: np.ndarray,
    batch_size: int,
    seed: int,
    stop: threading.Event | None = None,
) -> Generator[tuple[np.ndarray, np.ndarray], None, None]:
    """(float16 features, float32 targets) batches, a fresh order each pass, until ``stop``."""
    rng = np.random.default_rng(seed)
    targets = np.asarray(targets, np.float32)
    while stop is None or not stop.is_set():
        for index, block in rows.shuffled(rng, batch_size):
            if stop is not None and stop.is_set():
                return
            yield block, targets[index]


@contextlib.contextmanager
def _dataset(rows: FeatureRows, targets: np.ndarray, batch_size: int, seed: int) -> Iterator[Any]:
    """A tf.data view of ``batches``. Its generator is stopped and closed afterwards: TensorFlow
    would otherwise keep it, with its shuffle buffer, alive for as long as the process."""
    import tensorflow as tf

    stop = threading.Event()
    generator = batches(rows, targets, batch_size, seed, stop)
    signature = (
        tf.TensorSpec((None, rows.dim), tf.float16),
        tf.TensorSpec((None, targets.shape[1]), tf.float32),
    )
    try:
        yield tf.data.Dataset.from_generator(
            lambda: generator, output_signature=signature
        ).prefetch(2)
    finally:
        stop.set()
        with contextlib.suppress(ValueError):  # still running in TensorFlow's thread: it
            generator.close()  # returns at its next batch, seeing ``stop``


def _linear_loss(known: np.ndarray) -> Callable[[Any, Any], Any]:
    """Per class, the mean logistic loss over its known windows (each class counts as its own
    regression, as scikit-learn fits them one by one)."""
    from keras import ops

    share = known.mean(axis=0)
    weight = ops.convert_to_tensor(np.where(share > 0, 1 / np.maximum(share, 1e-12), 0.0))

    def loss(y_true: Any, y_pred: Any) -> Any:
        y_true = ops.cast(y_true, "float32")
        p = ops.clip(ops.cast(y_pred, "float32"), 1e-7, 1 - 1e-7)
        mask = ops.cast(y_true >= 0, "float32")
        y = ops.clip(y_true, 0.0, 1.0)
        bce = -(y * ops.log(p) + (1 - y) * ops.log(1 - p))
        return ops.sum(ops.cast(weight, "float32") * mask * bce, axis=-1)

    return loss


def fit_linear_streaming(
    rows: FeatureRows,
    targets: np.ndarray,
    config: Any,
    *,
    reporter: Reporter | None = None,
) -> Any:
    """The linear head (``build_linear_head``) fitted by mini-batches; returns FitResult."""
    import keras

    from model.ml.head import FitResult
    from model.ml.linear_head import build_linear_head, feature_statistics

    started = time.monotonic()
    k = targets.shape[1]
    mean, variance = feature_statistics(rows)
    known = targets >= 0
    keras.utils.set_random_seed(config.seed)
    inputs = keras.Input((rows.dim,), name="features")
    l2 = 1.0 / (2.0 * config.c * max(len(rows), 1))
    dense = _standardised_dense(mean, variance, k, l2)
    model = keras.Model(inputs, dense(inputs))
    steps_per_pass = math.ceil(len(rows) / LINEAR_BATCH)
    passes = max(1, round(LINEAR_STEPS / steps_per_pass))
    steps = steps_per_pass * passes
    schedule = keras.optimizers.schedules.CosineDecay(LINEAR_RATE, steps)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=_linear_loss(known))
    with _dataset(rows, targets, LINEAR_BATCH, config.seed) as data:
        model.fit(
            data,
            steps_per_epoch=steps,
            callbacks=[_CancelCheck(reporter)],
            shuffle=False,  # the generator shuffles; Keras would warn that it cannot
            verbose=0,
        )
    weights, bias = (np.asarray(w) for w in (dense.kernel, dense.bias))
    final = build_linear_head(weights, bias, mean, variance)
    return FitResult(model=final, seconds=time.monotonic() - started)


def _standardised_dense(mean: np.ndarray, variance: np.ndarray, k: int, l2: float) -> Any:
    """Sigmoid(standardised x @ W + b) computed as x @ (W / s) + (b - (m / s) @ W): the same
    function of the same weights, with the same gradients, without standardising every batch
    (which cost as much as the rest of a step). Only used while fitting: the weights then go
    into ``build_linear_head``'s plain Normalization + Dense."""
    import keras
    from keras import ops

    scale = (1.0 / np.maximum(np.sqrt(variance), 1e-7)).astype(np.float32)
    shift = (mean * scale).astype(np.float32)

    class StandardisedDense(keras.layers.Layer):
        def build(self, input_shape: Any) -> None:
            self.kernel = self.add_weight(
                shape=(len(scale), k),
                initializer="zeros",
                regularizer=keras.regularizers.L2(l2),
                name="kernel",
            )
            self.bias = self.add_weight(shape=(k,), initializer="zeros", name="bias")

        def call(self, inputs: Any) -> Any:
            x = ops.cast(inputs, "float32")
            logits = ops.matmul(x, self.kernel * scale[:, None])
            return ops.sigmoid(logits + self.bias - ops.matmul(shift[None, :], self.kernel))

    return StandardisedDense(name="scores")


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


def _CancelCheck(reporter: Reporter | None) -> Any:  # noqa: N802 - reads as the class it makes
    """A callback that checks for cancel between batches (Keras is imported only here)."""
    import keras

    class CancelCheck(keras.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            if reporter is not None:
                reporter.check()

    return CancelCheck()
