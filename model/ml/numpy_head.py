"""A bundle's head applied in NumPy, read from its ``.keras`` file without Keras.

Scoring features with a head of two dense layers at most is a few matrix products; loading
Keras for it means importing TensorFlow (5 s and several hundred MB before the first score),
which ``sonotag predict`` and GUI scoring on a CPU must not pay. A ``.keras`` file is a zip of
``config.json`` (the layers) and ``model.weights.h5`` (their weights, by layer type in order:
``dense``, ``dense_1``, ...), so ``h5py`` and ``json`` read it. Only the heads Sonotag trains
are read here (``model.ml.head``: normalisation, dense layers with relu/sigmoid, dropout, which
does nothing at inference); ``read_head`` returns None for anything else and the caller falls
back to Keras. Tests hold the scores to Keras' for both heads.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np

KERAS_EPSILON = 1e-7  # keras.backend.epsilon(): Normalization's floor on the std
_ACTIVATIONS = ("linear", "relu", "sigmoid")


@dataclass(frozen=True)
class Dense:
    kernel: np.ndarray  # (in, out) float32
    bias: np.ndarray  # (out,) float32
    activation: str


@dataclass(frozen=True)
class NumpyHead:
    """(x - mean) / std, then dense layers; float32 throughout, as Keras computes it."""

    mean: np.ndarray
    std: np.ndarray
    layers: tuple[Dense, ...]

    @property
    def input_dim(self) -> int:
        return int(self.mean.shape[0])

    @property
    def output_dim(self) -> int:
        return int(self.layers[-1].bias.shape[0])

    def __call__(self, features: np.ndarray) -> np.ndarray:
        x = (np.asarray(features, np.float32) - self.mean) / self.std
        for layer in self.layers:
            x = x @ layer.kernel
            x += layer.bias
            if layer.activation == "relu":
                np.maximum(x, 0.0, out=x)
            elif layer.activation == "sigmoid":
                x = _sigmoid(x)
        return np.asarray(x, np.float32)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """Without overflow warnings for large |x| (exp of the negative magnitude only)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(np.float32)


def read_head(keras_file: bytes) -> NumpyHead | None:
    """The head in a ``.keras`` file's bytes, or None if it is not a head this reader knows.
    Raises ValueError (or h5py's OSError) for a damaged file."""
    import h5py

    with zipfile.ZipFile(io.BytesIO(keras_file)) as archive:
        config = json.loads(archive.read("config.json"))
        weights = archive.read("model.weights.h5")
    layers = _linear_chain(config)
    if layers is None:
        return None
    with h5py.File(io.BytesIO(weights), "r") as handle:
        return _build(layers, handle)


def _linear_chain(config: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The layers if they form Input -> Normalization -> (Dense | Dropout)* -> Dense, each
    fed by the one before; None otherwise."""
    if config.get("class_name") not in ("Functional", "Sequential"):
        return None
    layers = config.get("config", {}).get("layers", [])
    kinds = [layer.get("class_name") for layer in layers]
    if len(kinds) < 3 or kinds[:2] != ["InputLayer", "Normalization"] or kinds[-1] != "Dense":
        return None
    if any(kind not in ("Dense", "Dropout") for kind in kinds[2:]):
        return None
    for before, layer in zip(layers, layers[1:], strict=False):
        if _source(layer) != before.get("config", {}).get("name"):
            return None
    return layers


def _source(layer: dict[str, Any]) -> str | None:
    nodes = layer.get("inbound_nodes") or []
    if len(nodes) != 1 or len(nodes[0].get("args", [])) != 1:
        return None
    history = nodes[0]["args"][0].get("config", {}).get("keras_history")
    return str(history[0]) if history else None


def _build(layers: list[dict[str, Any]], handle: Any) -> NumpyHead | None:
    norm = layers[1]["config"]
    if norm.get("invert") or norm.get("mean") is None or norm.get("variance") is None:
        return None
    if list(norm.get("axis") or [-1]) != [-1]:
        return None
    mean = np.asarray(norm["mean"], np.float32).reshape(-1)
    variance = np.asarray(norm["variance"], np.float32).reshape(-1)
    std = np.maximum(np.sqrt(variance), np.float32(KERAS_EPSILON))
    dense: list[Dense] = []
    for layer in layers[2:]:
        if layer["class_name"] != "Dense":
            continue
        cfg = layer["config"]
        activation = cfg.get("activation", "linear")
        if activation not in _ACTIVATIONS or not cfg.get("use_bias", True):
            return None
        key = "dense" if not dense else f"dense_{len(dense)}"
        group = handle["layers"][key]["vars"]
        kernel, bias = np.asarray(group["0"], np.float32), np.asarray(group["1"], np.float32)
        dense.append(Dense(kernel, bias, activation))
    widths = [mean.shape[0]] + [d.kernel.shape[1] for d in dense]
    for layer, width in zip(dense, widths, strict=False):
        if layer.kernel.shape[0] != width or layer.bias.shape != (layer.kernel.shape[1],):
            raise ValueError(f"a dense layer's weights {layer.kernel.shape} do not fit its input")
    if variance.shape != mean.shape:
        raise ValueError("the head's normalisation mean and variance differ in size")
    return NumpyHead(mean, std, tuple(dense))
