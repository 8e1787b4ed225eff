"""How PyTorch and JAX feed ``model.fit``: plain NumPy arrays and generators, which Keras
batches and shuffles itself on those backends (TensorFlow's module builds tf.data instead)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np


def fit_data(
    features: np.ndarray, targets: np.ndarray, batch_size: int, seed: int
) -> dict[str, Any]:
    """NumPy arrays; Keras shuffles them each epoch from its seeded generator."""
    return {
        "x": features,
        "y": targets.astype(np.float32),
        "batch_size": batch_size,
        "shuffle": True,
    }


def stream_data(generator: Iterator[tuple[np.ndarray, np.ndarray]], dim: int, classes: int) -> Any:
    return generator
