"""Fine-tuning: the last ResNet stage (conv5) unfrozen, low learning rate, on clip images.

The paper's second stage. It starts from the head trained on cached features (so the new
layers do not push large random gradients into pretrained filters) and keeps batch-norm
statistics frozen, as Keras recommends for fine-tuning. It runs the whole backbone on every
image in every epoch, so it is meant for a GPU; on a laptop CPU it takes hours.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from model.jobs import Reporter
from model.ml.backbone import FINE_TUNE_PREFIX, INPUT_SHAPE, BackboneSpec, build_network
from model.ml.backbone import preprocess as preprocess_images
from model.ml.head import masked_loss

if TYPE_CHECKING:
    from model.ml.dataset import Examples

FINE_TUNE_LEARNING_RATE = 1e-5


def build_fine_tune_model(spec: BackboneSpec, head: Any, precision: str) -> Any:
    """Images -> scores: backbone (conv5 trainable, batch norm frozen) followed by ``head``."""
    import keras

    backbone = build_network(spec, precision=precision)
    backbone.trainable = True
    for layer in backbone.layers:
        is_bn = isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = layer.name.startswith(FINE_TUNE_PREFIX) and not is_bn
    inputs = keras.Input(INPUT_SHAPE, name="image")
    features = backbone(inputs, training=False)  # batch norm stays in inference mode
    outputs = head(features)
    return keras.Model(inputs, outputs, name="sonotag_fine_tuned")


def _dataset(
    images: np.ndarray, targets: np.ndarray | None, batch_size: int, shuffle: bool, seed: int
) -> Any:
    import keras

    class Images(keras.utils.PyDataset):
        """Preprocesses one batch at a time: a float32 copy of all images would not fit."""

        def __init__(self) -> None:
            super().__init__()
            self.order = np.arange(len(images))
            self.rng = np.random.default_rng(seed)
            if shuffle:
                self.rng.shuffle(self.order)

        def __len__(self) -> int:
            return int(np.ceil(len(images) / batch_size))

        def __getitem__(self, index: int) -> Any:
            rows = np.sort(self.order[index * batch_size : (index + 1) * batch_size])
            batch = preprocess_images(images[rows])
            if targets is None:
                return (batch,)
            return batch, targets[rows].astype(np.float32)

        def on_epoch_end(self) -> None:
            if shuffle:
                self.rng.shuffle(self.order)

    return Images()


def fine_tune(
    model: Any,
    images: np.ndarray,
    targets: np.ndarray,
    *,
    epochs: int,
    batch_size: int = 16,
    learning_rate: float = FINE_TUNE_LEARNING_RATE,
    reporter: Reporter | None = None,
    on_epoch: Callable[[int, int, dict[str, Any]], None] | None = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Trains ``model`` in place; cancel is checked after every batch."""
    import keras

    from model.ml.head import class_weights

    history: list[dict[str, Any]] = []
    pos, neg = class_weights(targets)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=masked_loss(pos, neg))

    class Watch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            if reporter is not None:
                reporter.check()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            row = {"epoch": epoch + 1, "epochs": epochs, "loss": float((logs or {})["loss"])}
            history.append(row)
            if on_epoch is not None:
                on_epoch(epoch + 1, epochs, row)

    model.fit(
        _dataset(images, targets, batch_size, True, seed),
        epochs=epochs,
        callbacks=[Watch()],
        verbose=0,
    )
    return history


def predict_images(
    model: Any, images: np.ndarray, batch_size: int = 16, reporter: Reporter | None = None
) -> np.ndarray:
    from keras import ops

    out = []
    for begin in range(0, len(images), batch_size):
        if reporter is not None:
            reporter.check()
        batch = preprocess_images(images[begin : begin + batch_size])
        out.append(np.asarray(ops.convert_to_numpy(model(batch, training=False)), np.float32))
    return np.concatenate(out) if out else np.empty((0, int(model.output_shape[-1])), np.float32)


def fine_tune_stage(
    project: Any,
    settings: Any,
    spec: BackboneSpec,
    precision: str,
    device_text: str,
    head: Any,
    examples: Examples,
    train: np.ndarray,
    recordings: dict[int, Any],
    epochs: int,
    reporter: Reporter,
    seed: int,
) -> tuple[Any, list[dict[str, Any]]]:
    """Stage two on the clip images of the ``train`` windows; returns the full model (images
    -> scores) and its history."""
    from model.clips import clip_images

    images = np.zeros((len(examples), *settings.image_shape), np.uint8)
    for rid, index in examples.by_recording().items():
        reporter.update(0, None, "drawing clip images for fine-tuning", stage="fine-tune")
        images[index] = clip_images(recordings[rid].path, examples.starts[index], settings)
    model = build_fine_tune_model(spec, head, precision)
    history = fine_tune(
        model,
        images[train],
        examples.targets[train],
        epochs=epochs,
        reporter=reporter,
        seed=seed,
        on_epoch=lambda e, n, row: reporter.update(
            e,
            n,
            f"fine-tuning: epoch {e}",
            stage="fine-tune",
            device=device_text,
            **row,
        ),
    )
    return model, history
