"""ResNet50 as an OpenVINO graph, built from NumPy weights with OpenVINO's own operator API.

Why not convert the Keras model with ``openvino.convert_model``: that needs TensorFlow loaded
and the Keras network built (about 8 s and 1 GB before the first clip), which is exactly what
``sonotag predict`` and GUI scoring must not pay. The network is 53 convolutions of one
pattern; building it here takes a fraction of a second, and a test holds its features to the
Keras model's on the same weights.

The graph takes the clip images as they are made, uint8 (N, 224, 224, 3), and does Keras'
caffe preprocessing itself (RGB -> BGR, minus the ImageNet means), so no float copy of a batch
is ever made in Python. Batch norm is folded into the convolutions (the network is frozen).
Zero padding is explicit where Keras pads (``ZeroPadding2D`` before the stem and the max pool)
so borders match Keras' exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.ml.engine.resnet50_layers import BGR_MEAN, STAGES, Weights, folded

IMAGE_SIZE = 224


def build_model(weights: Weights, *, batch: int = -1) -> Any:
    """The ``openvino.Model``: "images" uint8 (N, 224, 224, 3) -> "features" float32 (N, 2048).
    ``batch`` -1 leaves the batch dimension dynamic."""
    import openvino as ov
    import openvino.opset13 as ops

    convs = {name: (kernel, bias) for name, kernel, bias in folded(weights)}
    images = ops.parameter([batch, IMAGE_SIZE, IMAGE_SIZE, 3], ov.Type.u8, name="images")
    x = ops.convert(images, ov.Type.f32)
    x = ops.transpose(x, ops.constant(np.array([0, 3, 1, 2], np.int64)))  # NCHW
    x = ops.gather(x, ops.constant(np.array([2, 1, 0], np.int64)), ops.constant(np.int64(1)))
    x = ops.subtract(x, ops.constant(np.array(BGR_MEAN, np.float32).reshape(1, 3, 1, 1)))

    def conv(x: Any, name: str, stride: int = 1, pad: int = 0, relu: bool = True) -> Any:
        kernel, bias = convs[name]
        y = ops.convolution(
            x, ops.constant(kernel), [stride, stride], [pad, pad], [pad, pad], [1, 1]
        )
        y = ops.add(y, ops.constant(bias.reshape(1, -1, 1, 1)))
        return ops.relu(y) if relu else y

    x = conv(_zero_pad(x, 3), "conv1_conv", stride=2)
    x = ops.max_pool(_zero_pad(x, 1), [2, 2], [1, 1], [0, 0], [0, 0], [3, 3]).output(0)
    for stage, _width, blocks, first_stride in STAGES:
        for number in range(1, blocks + 1):
            name = f"{stage}_block{number}"
            stride = first_stride if number == 1 else 1
            shortcut = conv(x, f"{name}_0_conv", stride=stride, relu=False) if number == 1 else x
            y = conv(x, f"{name}_1_conv", stride=stride)
            y = conv(y, f"{name}_2_conv", pad=1)
            y = conv(y, f"{name}_3_conv", relu=False)
            x = ops.relu(ops.add(shortcut, y))
    features = ops.reduce_mean(x, ops.constant(np.array([2, 3], np.int64)), keep_dims=False)
    result = ops.result(features)
    result.get_output_tensor(0).set_names({"features"})
    return ov.Model([result], [images], "sonotag_resnet50")


def _zero_pad(x: Any, size: int) -> Any:
    import openvino.opset13 as ops

    begin = ops.constant(np.array([0, 0, size, size], np.int64))
    return ops.pad(x, begin, begin, "constant", ops.constant(np.float32(0.0)))
