"""PyTorch's own code for the ML core (see ``model.ml.backends``): CUDA on Windows and Linux,
MPS on Apple silicon, else the CPU. PyTorch is imported by the functions, not at import time,
so this module can be imported (by tools that walk the package) where PyTorch is missing."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from model.ml.backends.numpy_feed import fit_data, stream_data  # noqa: F401 - the interface

DEVICE_ENV = "KERAS_TORCH_DEVICE"  # read by Keras' torch backend when it is imported


def version() -> str:
    import torch

    return str(torch.__version__)


def accelerator() -> tuple[str, str] | None:
    import torch

    if torch.cuda.is_available():
        return "cuda", torch.cuda.get_device_name(0)  # Keras' own name for it
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps", "Apple GPU (MPS)"
    return None


def configure(accelerate: bool) -> None:
    """The device Keras puts every tensor and variable on. PyTorch's caching allocator grows
    with use, so there is no memory-growth switch to set."""
    import torch

    found = accelerator() if accelerate else None
    device = found[0] if found else "cpu"
    os.environ[DEVICE_ENV] = device
    core = sys.modules.get("keras.src.backend.torch.core")
    if core is not None:  # Keras already read the variable: tell it directly
        core.DEFAULT_DEVICE = device
    if found and found[0].startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = False  # same float32 figures as the CPU
        torch.backends.cudnn.allow_tf32 = False
        # Batches keep one shape, so cuDNN's search for the fastest convolution pays off.
        torch.backends.cudnn.benchmark = True


# Keras' caffe-style ResNet50 preprocessing (``model.ml.backbone.preprocess``): RGB -> BGR,
# then these channel means subtracted; no scaling.
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


def inference_step(network: Any) -> Callable[[np.ndarray], np.ndarray]:
    """Takes the uint8 clip images themselves and preprocesses them on the device: on an
    H200 the network ran at 2,977 clips/s (bfloat16) with its input already on the GPU but
    at 596 fed preprocessed float32 NumPy batches (four times the bytes to copy, and the
    CPU's preprocessing in series with it). ``takes_uint8`` tells the caller."""
    import torch
    from keras import ops

    def step(batch: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            x = ops.convert_to_tensor(np.ascontiguousarray(batch))  # on Keras' device
            mean = torch.tensor(CAFFE_MEAN_BGR, dtype=torch.float32, device=x.device)
            x = x.to(torch.float32).flip(-1) - mean
            out = network(x, training=False)
            return np.asarray(ops.convert_to_numpy(ops.cast(out, "float32")))

    step.takes_uint8 = True  # type: ignore[attr-defined]
    return step
