"""TensorFlow's own code for the ML core (see ``model.ml.backends``): the only module of
``model`` that imports TensorFlow, in its functions (importing the module costs nothing)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from model.ml.backbone import INPUT_SHAPE


def version() -> str:
    import tensorflow as tf

    return str(tf.__version__)


def accelerator() -> tuple[str, str] | None:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return None
    try:
        details = tf.config.experimental.get_device_details(gpus[0])
    except (RuntimeError, ValueError):
        details = {}
    return "gpu:0", str(details.get("device_name", "GPU"))


def configure(accelerate: bool) -> None:
    """Memory growth (TensorFlow otherwise grabs all GPU memory at first use, which starves
    other programs on a shared workstation), or no GPU at all when the CPU is wanted."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    try:
        if not accelerate and gpus:
            tf.config.set_visible_devices([], "GPU")
            return
        for gpu in gpus:
            tf.config.experimental.set_memory_growth(gpu, True)
    except (RuntimeError, ValueError):  # already initialised by someone else: keep going
        pass


def inference_step(network: Any) -> Callable[[np.ndarray], np.ndarray]:
    """One traced graph for any batch size (Keras' ``predict`` would retrace per shape)."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec((None, *INPUT_SHAPE), tf.float32)])
    def step(batch: Any) -> Any:
        return tf.cast(network(batch, training=False), tf.float32)

    return lambda batch: step(batch).numpy()


def fit_data(
    features: np.ndarray, targets: np.ndarray, batch_size: int, seed: int
) -> dict[str, Any]:
    """A tf.data pipeline rather than NumPy arrays: Keras would rebuild its input adapter
    every epoch, which costs more than the epoch itself for a head this small."""
    import tensorflow as tf

    data = (
        tf.data.Dataset.from_tensor_slices((features, targets.astype(np.float32)))
        .shuffle(len(features), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    return {"x": data, "shuffle": False}


def stream_data(generator: Iterator[tuple[np.ndarray, np.ndarray]], dim: int, classes: int) -> Any:
    import tensorflow as tf

    signature = (
        tf.TensorSpec((None, dim), tf.float16),
        tf.TensorSpec((None, classes), tf.float32),
    )
    return tf.data.Dataset.from_generator(lambda: generator, output_signature=signature).prefetch(2)
