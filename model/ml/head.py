"""The classifier heads on cached backbone features, and their training.

Two heads, both on standardised features (mean and variance of the training features, stored
in the head's first layer and so in every bundle), both plain dense layers with sigmoid outputs
(a clip can hold several classes or none), so a later NumPy scorer needs only their weights:

- ``linear`` (the default, ``model.ml.linear_head``): one L2-regularised logistic regression
  per class, fitted by scikit-learn on the windows whose label for that class is known. Chosen by
  measurement (``bench/bench_quality.py``): it is the standardised logistic regression the
  issue measured as the baseline, which beat the study's head by far on untrained-ResNet50
  features (the study's head was better on BirdNET's, and stays one click away); it needs no
  early stopping (so no windows are spent on it) and gives the same scores on every run.
- ``mlp``: the study's head, two dense layers with dropout between them, trained with Adam and
  early stopping on a validation part. Targets use 1 (present), 0 (absent) and -1 (unknown, no
  loss), and each class's positives and negatives are weighted to count equally, because a rare
  call with 20 examples must not drown under 2,000 negatives.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.jobs import Reporter
from model.ml.feature_table import FeatureRows
from model.ml.linear_head import feature_statistics

# Features in memory, or on disk when there are too many (``model.ml.feature_table``).
Features = np.ndarray | FeatureRows

MAX_CLASS_WEIGHT = 50.0
# Up to this many windows the linear head is the exact fit (scikit-learn); beyond it Adam's
# mini-batches (``model.ml.streaming``), from memory or from disk: the exact fit's time grows
# to minutes at 10k windows of 2,048 values and buys nothing (tests/model/ml/test_streaming.py).
EXACT_WINDOWS = 4096
LINEAR, MLP = "linear", "mlp"
HEADS = (LINEAR, MLP)
DEFAULT_HEAD = LINEAR
HEAD_TITLES = {
    LINEAR: "linear (standardised logistic regression, L2)",
    MLP: "two dense layers + dropout (the study's head)",
}


@dataclass(frozen=True)
class HeadConfig:
    kind: str = DEFAULT_HEAD
    # Inverse L2 strength of the linear head (scikit-learn's C), solved to the optimum.
    c: float = 1.0
    # Strengths each class may choose between instead, by log loss on folds by recording of
    # the training windows (``linear_head.tuning_folds``), e.g. (0.1, 1, ..., 1e4). Off by
    # default: on the 3-species task it made a retrain's fit 7x slower (nested in the
    # evaluation, its figures 14x), and with one great tit individual in the training half
    # the folds chose the weakest L2 on every draw of the negatives, better on one draw and
    # worse on two than C = 1 (bench/bench_quality.py prints both).
    c_grid: tuple[float, ...] = ()
    hidden: int = 256
    dropout: float = 0.5
    learning_rate: float = 1e-3
    batch_size: int = 64
    epochs: int = 60
    patience: int = 8
    # Improvements smaller than this do not count: on well-separated classes the held-out loss
    # creeps down for dozens of epochs after the scores stopped changing, and every epoch is
    # latency between "retrain" and new score tracks.
    min_delta: float = 1e-3
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in HEADS:
            raise ValueError(f"unknown head {self.kind!r}; choose one of: {', '.join(HEADS)}")

    @property
    def needs_validation(self) -> bool:
        """Only the MLP stops early; the linear head learns from every training window."""
        return self.kind == MLP

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class FitResult:
    model: Any
    history: list[dict[str, float | None]] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False
    seconds: float = 0.0
    regularisation: list[float | None] | None = None  # linear head: each class's C


def class_weights(targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(positive, negative) weight per class so both halves of a class weigh the same."""
    positives = (targets == 1).sum(axis=0).astype(np.float64)
    negatives = (targets == 0).sum(axis=0).astype(np.float64)
    known = positives + negatives
    pos = np.where(positives > 0, known / (2 * np.maximum(positives, 1)), 1.0)
    neg = np.where(negatives > 0, known / (2 * np.maximum(negatives, 1)), 1.0)
    return (
        np.clip(pos, 1 / MAX_CLASS_WEIGHT, MAX_CLASS_WEIGHT).astype(np.float32),
        np.clip(neg, 1 / MAX_CLASS_WEIGHT, MAX_CLASS_WEIGHT).astype(np.float32),
    )


def masked_loss(pos_weight: np.ndarray, neg_weight: np.ndarray) -> Callable[[Any, Any], Any]:
    """Weighted binary cross-entropy that ignores targets of -1."""
    from keras import ops

    def loss(y_true: Any, y_pred: Any) -> Any:
        # Made at each call, not once outside: on PyTorch a tensor lives on the device that
        # was current when it was made, and a head trained on the CPU after one on the GPU
        # (or the other way round) then mixed devices ("cuda:0 and cpu").
        pos = ops.convert_to_tensor(pos_weight)
        neg = ops.convert_to_tensor(neg_weight)
        y_true = ops.cast(y_true, "float32")
        y_pred = ops.clip(ops.cast(y_pred, "float32"), 1e-7, 1 - 1e-7)
        known = ops.cast(y_true >= 0, "float32")
        y = ops.clip(y_true, 0.0, 1.0)
        weight = known * (y * pos + (1 - y) * neg)
        bce = -(y * ops.log(y_pred) + (1 - y) * ops.log(1 - y_pred))
        return ops.sum(weight * bce, axis=-1) / ops.maximum(ops.sum(known, axis=-1), 1.0)

    return loss


def masked_loss_value(
    targets: np.ndarray, scores: np.ndarray, pos_weight: np.ndarray, neg_weight: np.ndarray
) -> float:
    """The same loss in NumPy, for the held-out set: evaluating it inside ``fit`` would trace
    a second graph and cost more than training the head on a CPU."""
    y_true = np.asarray(targets, np.float64)
    p = np.clip(np.asarray(scores, np.float64), 1e-7, 1 - 1e-7)
    known = (y_true >= 0).astype(np.float64)
    y = np.clip(y_true, 0.0, 1.0)
    weight = known * (y * pos_weight + (1 - y) * neg_weight)
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    per_clip = (weight * bce).sum(axis=-1) / np.maximum(known.sum(axis=-1), 1.0)
    return float(per_clip.mean())


def build_head(
    n_classes: int, mean: np.ndarray, variance: np.ndarray, config: HeadConfig = HeadConfig()
) -> Any:
    """Normalisation -> Dense(relu) -> Dropout -> Dense(sigmoid); only built-in Keras layers,
    so the saved file loads in Keras' safe mode."""
    import keras
    from keras import layers

    from model.ml import backends

    backends.set_random_seed(config.seed)
    inputs = keras.Input((len(mean),), name="features")
    x = layers.Normalization(mean=mean, variance=variance, name="feature_norm")(inputs)
    x = layers.Dense(config.hidden, activation="relu", name="fc1")(x)
    x = layers.Dropout(config.dropout, name="dropout")(x)
    outputs = layers.Dense(n_classes, activation="sigmoid", name="scores", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="sonotag_head")


def _callbacks(
    reporter: Reporter | None,
    epochs: int,
    validation: tuple[Features, np.ndarray] | None,
    history: list[dict[str, float | None]],
    device_text: str,
    progress: Callable[[int, int, dict[str, Any]], None] | None,
    weights: tuple[np.ndarray, np.ndarray],
) -> list[Any]:
    import keras

    from model.ml.metrics import average_precision, mean_ap

    started = time.monotonic()

    class Progress(keras.callbacks.Callback):
        """Cancel between batches; per-epoch loss, validation AP and ETA to the reporter."""

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            if reporter is not None:
                reporter.check()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = logs if logs is not None else {}
            val_ap = None
            if validation is not None:
                scores = predict_scores(self.model, validation[0])
                val_ap = mean_ap(average_precision(validation[1], scores))
                # Early stopping (the next callback) reads it from the same dict.
                logs["val_loss"] = masked_loss_value(validation[1], scores, *weights)
            elapsed = time.monotonic() - started
            row = {
                "epoch": epoch + 1,
                "epochs": epochs,
                "loss": _num(logs.get("loss")),
                "val_loss": _num(logs.get("val_loss")),
                "val_ap": _num(val_ap),
                "eta_s": elapsed / (epoch + 1) * (epochs - epoch - 1),
                "device": device_text,
            }
            history.append(row)
            if progress is not None:
                progress(epoch + 1, epochs, row)
            elif reporter is not None:
                reporter.update(epoch + 1, epochs, f"epoch {epoch + 1}", **row)

    return [Progress()]


def _num(value: Any) -> float | None:
    """A plain float for JSON manifests and pickled results; NaN/inf (a diverged run) -> None."""
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def fit_head(
    model: Any,
    features: Features,
    targets: np.ndarray,
    validation: tuple[Features, np.ndarray] | None,
    config: HeadConfig = HeadConfig(),
    *,
    reporter: Reporter | None = None,
    device_text: str = "",
    learning_rate: float | None = None,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
) -> FitResult:
    """Trains with early stopping on the held-out loss (or the training loss when there is no
    held-out set) and restores the best epoch's weights."""
    import keras

    started = time.monotonic()
    pos, neg = class_weights(targets)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate or config.learning_rate),
        loss=masked_loss(pos, neg),
    )
    history: list[dict[str, float | None]] = []
    monitor = "val_loss" if validation is not None else "loss"
    stopper = keras.callbacks.EarlyStopping(
        monitor=monitor,
        patience=config.patience,
        min_delta=config.min_delta,
        restore_best_weights=True,
    )
    callbacks = _callbacks(
        reporter, config.epochs, validation, history, device_text, progress, (pos, neg)
    )
    if isinstance(features, FeatureRows):  # too many to hold: streamed from disk
        from model.ml.streaming import fit_mlp_streaming

        fit_mlp_streaming(model, features, targets, config, [*callbacks, stopper])
    else:
        from model.ml import backends

        data = backends.current().fit_data(features, targets, config.batch_size, config.seed)
        model.fit(**data, epochs=config.epochs, callbacks=[*callbacks, stopper], verbose=0)
    best = int(stopper.best_epoch) + 1 if stopper.best is not None else len(history)
    return FitResult(
        model=model,
        history=history,
        best_epoch=best,
        stopped_early=len(history) < config.epochs,
        seconds=time.monotonic() - started,
    )


def inference_copy(model: Any) -> Any:
    """The trained head without optimizer and custom loss: what goes into a bundle, loadable
    with ``safe_mode=True`` and no custom objects."""
    import keras

    copy = keras.Model.from_config(model.get_config())  # clone_model would copy the loss
    copy.set_weights(model.get_weights())
    return copy


def predict_scores(model: Any, features: Features, batch_size: int = 4096) -> np.ndarray:
    """Scores (N, k) float32; direct calls in large batches, far quicker than ``predict``."""
    from keras import ops

    if isinstance(features, FeatureRows):
        scores = np.empty((len(features), model.output_shape[-1]), np.float32)
        for index, rows in features.chunks(batch_size):
            scores[index] = ops.convert_to_numpy(model(rows, training=False))  # float32 inside
        return scores
    out = [
        np.asarray(ops.convert_to_numpy(model(features[i : i + batch_size], training=False)))
        for i in range(0, len(features), batch_size)
    ]
    return np.concatenate(out) if out else np.empty((0, model.output_shape[-1]), np.float32)


def summarise(names: Sequence[str], fit: FitResult) -> dict[str, Any]:
    return {
        "epochs_run": len(fit.history),
        "best_epoch": fit.best_epoch,
        "stopped_early": fit.stopped_early,
        "seconds": round(fit.seconds, 3),
        "classes": list(names),
        "regularisation_c": fit.regularisation,
        "history": fit.history,
    }


def fits_exactly(features: Features) -> bool:
    """Whether the linear head is solved to its optimum on these features (in memory, up to
    ``EXACT_WINDOWS``), rather than fitted by mini-batches."""
    return not isinstance(features, FeatureRows) and len(features) <= EXACT_WINDOWS


def train_head(
    features: Features,
    targets: np.ndarray,
    validation: tuple[Features, np.ndarray] | None,
    config: HeadConfig = HeadConfig(),
    *,
    reporter: Reporter | None = None,
    device_text: str = "",
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
    folds: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
) -> FitResult:
    """The head ``config`` names, trained on ``features``; only the MLP looks at
    ``validation`` (to stop early), the linear head learns from the training part alone and
    chooses its regularisation on ``folds`` of it (``linear_head.tuning_folds``)."""
    if config.kind == LINEAR:
        if not fits_exactly(features):
            from model.ml.streaming import fit_linear_streaming

            return fit_linear_streaming(features, targets, config, reporter=reporter)
        from model.ml.linear_head import fit_linear

        return fit_linear(features, targets, config, folds=folds, reporter=reporter)
    mean, variance = feature_statistics(features)
    model = build_head(targets.shape[1], mean, variance, config)
    return fit_head(
        model,
        features,
        targets,
        validation,
        config,
        reporter=reporter,
        device_text=device_text,
        progress=progress,
    )
