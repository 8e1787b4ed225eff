"""JAX's own code for the ML core (see ``model.ml.backends``): CUDA GPUs on Linux, else the
CPU (JAX's CPU wheel is what CI runs the second backend on). JAX is imported by the functions,
so this module can be imported where JAX is missing."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from model.ml.backends.numpy_feed import fit_data, stream_data  # noqa: F401 - the interface

# JAX reserves 75% of GPU memory at start-up unless told otherwise: grow instead, as the
# TensorFlow backend does. Must be set before JAX initialises its GPU client.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")


def version() -> str:
    import jax

    return str(jax.__version__)


def _gpus() -> list[Any]:
    import jax

    try:
        return list(jax.devices("gpu"))
    except RuntimeError:  # no GPU platform in this jaxlib
        return []


def accelerator() -> tuple[str, str] | None:
    gpus = _gpus()
    if not gpus:
        return None
    return "gpu:0", str(getattr(gpus[0], "device_kind", "GPU"))


def configure(accelerate: bool) -> None:
    """The device new arrays land on; the accelerator otherwise is JAX's own default."""
    import jax

    if not accelerate and _gpus():
        jax.config.update("jax_default_device", jax.devices("cpu")[0])
    if accelerate:
        jax.config.update("jax_default_matmul_precision", "highest")  # float32 like the CPU


def inference_step(network: Any) -> Callable[[np.ndarray], np.ndarray]:
    """One jitted function; batches are padded to a power of two (at most the largest seen)
    so a last short batch reuses a compiled shape instead of compiling another."""
    import jax
    import jax.numpy as jnp

    trainable = [v.value for v in network.trainable_variables]
    frozen = [v.value for v in network.non_trainable_variables]

    @jax.jit
    def run(trainable: Any, frozen: Any, batch: Any) -> Any:
        out, _ = network.stateless_call(trainable, frozen, batch, training=False)
        return out.astype(jnp.float32)

    def step(batch: np.ndarray) -> np.ndarray:
        count = len(batch)
        size = 1 << max(count - 1, 0).bit_length()
        if size != count:
            pad = np.zeros((size - count, *batch.shape[1:]), batch.dtype)
            batch = np.concatenate([batch, pad])
        return np.asarray(run(trainable, frozen, batch))[:count]

    return step
