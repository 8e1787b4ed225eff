"""ResNet50's layers and weights in plain NumPy: the same network Keras builds, without Keras.

``keras.applications.ResNet50(include_top=False, pooling="avg")`` is a fixed recipe: a 7x7
stem, four stages of bottleneck blocks (3, 4, 6, 3) and global average pooling. This module
lists its weighted layers in the exact order Keras creates them, so that

- the untrained test network's seeded weights (one NumPy generator walked over that order, as
  ``model.ml.backbone._seeded_weights`` walks ``model.weights``) come out identical, and
- Keras' ImageNet file (legacy HDF5, matched *by position* as Keras itself loads it) is read
  with ``h5py`` alone,

and the OpenVINO engine (``model.ml.engine.openvino_resnet``) can build the same network with
neither TensorFlow's 5-s import nor its memory. A test holds the order and shapes to Keras'
model and the features of both engines to each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.errors import ModelBundleError

BN_EPSILON = 1.001e-5  # Keras' ResNet uses this, not the BatchNormalization default
#: Caffe-style preprocessing of ``keras.applications.resnet50.preprocess_input``: RGB -> BGR,
#: minus the ImageNet mean of each BGR channel, no scaling.
BGR_MEAN = (103.939, 116.779, 123.68)
#: (stage name, bottleneck width, blocks, stride of the first block)
STAGES = (("conv2", 64, 3, 1), ("conv3", 128, 4, 2), ("conv4", 256, 6, 2), ("conv5", 512, 3, 2))
CONV, BN = "conv", "bn"


@dataclass(frozen=True)
class Layer:
    name: str
    kind: str  # CONV (kernel, bias) or BN (gamma, beta, moving_mean, moving_variance)
    shapes: tuple[tuple[int, ...], ...]


def _conv(name: str, size: int, c_in: int, c_out: int) -> Layer:
    return Layer(name, CONV, ((size, size, c_in, c_out), (c_out,)))


def _bn(name: str, channels: int) -> Layer:
    return Layer(name, BN, ((channels,),) * 4)


def layers() -> list[Layer]:
    """The weighted layers in Keras' order (``model.layers`` with weights)."""
    out = [_conv("conv1_conv", 7, 3, 64), _bn("conv1_bn", 64)]
    channels = 64
    for stage, width, blocks, _stride in STAGES:
        for number in range(1, blocks + 1):
            name = f"{stage}_block{number}"
            out += [
                _conv(f"{name}_1_conv", 1, channels, width),
                _bn(f"{name}_1_bn", width),
                _conv(f"{name}_2_conv", 3, width, width),
                _bn(f"{name}_2_bn", width),
            ]
            if number == 1:  # the projection shortcut comes before the third conv in Keras
                out += [
                    _conv(f"{name}_0_conv", 1, channels, 4 * width),
                    _conv(f"{name}_3_conv", 1, width, 4 * width),
                    _bn(f"{name}_0_bn", 4 * width),
                    _bn(f"{name}_3_bn", 4 * width),
                ]
            else:
                out += [
                    _conv(f"{name}_3_conv", 1, width, 4 * width),
                    _bn(f"{name}_3_bn", 4 * width),
                ]
            channels = 4 * width
    return out


Weights = dict[str, list[np.ndarray]]


def seeded_weights(seed: int) -> Weights:
    """The untrained network's weights: Glorot-uniform kernels, zero biases, identity batch
    norm, drawn from one generator in Keras' weight order (what ``_seeded_weights`` does to a
    Keras model, so both engines hold the same numbers)."""
    rng = np.random.default_rng(seed)
    weights: Weights = {}
    for layer in layers():
        if layer.kind == CONV:
            kernel_shape, bias_shape = layer.shapes
            receptive = int(np.prod(kernel_shape[:-2]))
            fan_in, fan_out = kernel_shape[-2] * receptive, kernel_shape[-1] * receptive
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            kernel = rng.uniform(-limit, limit, size=kernel_shape).astype(np.float32)
            weights[layer.name] = [kernel, np.zeros(bias_shape, np.float32)]
        else:
            (shape,) = set(layer.shapes)
            ones, zeros = np.ones(shape, np.float32), np.zeros(shape, np.float32)
            weights[layer.name] = [ones, zeros, zeros, ones]
    return weights


def read_keras_h5(path: Path) -> Weights:
    """Keras' legacy HDF5 weights file (the ImageNet "notop" file), read as Keras reads it: the
    file's layers with weights, in order, matched to ours by position; shapes must agree."""
    import h5py

    ours = layers()
    try:
        with h5py.File(path, "r") as handle:
            group = handle["model_weights"] if "model_weights" in handle else handle
            names = [_text(n) for n in group.attrs["layer_names"]]
            theirs = [n for n in names if len(group[n].attrs.get("weight_names", ())) > 0]
            if len(theirs) != len(ours):
                raise ValueError(f"{len(theirs)} layers with weights, ResNet50 has {len(ours)}")
            weights: Weights = {}
            for layer, name in zip(ours, theirs, strict=True):
                values = [
                    np.asarray(group[name][_text(w)], np.float32)
                    for w in group[name].attrs["weight_names"]
                ]
                shapes = tuple(v.shape for v in values)
                if shapes != layer.shapes:
                    raise ValueError(f"layer {name} holds shapes {shapes}, expected {layer.shapes}")
                weights[layer.name] = values
    except (OSError, KeyError, ValueError) as exc:
        raise ModelBundleError(
            path, f"the file passed the checksum but does not hold ResNet50 weights ({exc})"
        ) from exc
    return weights


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def folded(weights: Weights) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """(conv name, kernel (out, in, kh, kw), bias) with each conv's batch norm folded in: the
    network is frozen, so conv + BN is one conv (computed in float64, stored as float32)."""
    for layer in layers():
        if layer.kind != CONV:
            continue
        kernel, bias = (np.asarray(v, np.float64) for v in weights[layer.name])
        gamma, beta, mean, variance = (
            np.asarray(v, np.float64) for v in weights[layer.name.replace("_conv", "_bn")]
        )
        scale = gamma / np.sqrt(variance + BN_EPSILON)
        oihw = np.transpose(kernel, (3, 2, 0, 1)) * scale[:, None, None, None]
        yield layer.name, oihw.astype(np.float32), ((bias - mean) * scale + beta).astype(np.float32)
