"""Which Keras backend runs the ML core (TensorFlow, PyTorch or JAX), and its own code.

Everything else in ``model.ml`` is written against Keras 3 (``keras.ops``, layers, callbacks,
NumPy batches), so the same backbone, head, training and fine-tuning run on each backend. What
cannot be said in Keras - listing and choosing a device, GPU memory growth, a compiled inference
step, the fastest way to feed ``fit`` - lives in one module per backend (``tensorflow``,
``torch``, ``jax`` beside this file), each with the same functions:

- ``version()`` -> the library's version, stored in every bundle;
- ``accelerator()`` -> ``(keras_device, label)`` of the best accelerator, or None;
- ``configure(accelerate)`` -> before first use: memory growth, or hide the accelerator;
- ``inference_step(network)`` -> a function (N, 224, 224, 3) float32 -> (N, 2048) float32, or
  one that takes the uint8 images and preprocesses them on its device (its ``takes_uint8``
  attribute is true: PyTorch's, where the host-to-device copy was the bottleneck);
- ``fit_data(features, targets, batch_size, seed)`` -> keyword arguments for ``model.fit``;
- ``stream_data(generator, dim, classes)`` -> what ``model.fit`` reads a batch generator as.

Keras picks its backend once per process, from ``KERAS_BACKEND`` (else ``~/.keras/keras.json``,
else TensorFlow), when it is first imported: ``select`` sets that variable before then, so the
worker processes Sonotag spawns inherit it. TensorFlow stays the default on Linux, where it
has GPU support; on Windows (no TensorFlow GPU since 2.10) and macOS, PyTorch is chosen when
it is installed (``pip install sonotag[torch]``), for CUDA or Apple's MPS.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
from pathlib import Path
from types import ModuleType

BACKEND_ENV = "KERAS_BACKEND"  # Keras' own variable
CHOICE_ENV = "SONOTAG_BACKEND"  # Sonotag's: auto, tensorflow, torch or jax
AUTO = "auto"
TENSORFLOW = "tensorflow"
TORCH = "torch"
JAX = "jax"
BACKENDS = (TENSORFLOW, TORCH, JAX)
LABELS = {TENSORFLOW: "TensorFlow", TORCH: "PyTorch", JAX: "JAX"}


def installed(backend: str) -> bool:
    """Whether the library can be imported here (without importing it)."""
    return importlib.util.find_spec(backend) is not None


def _keras_json() -> str | None:
    """The backend named in Keras' config file, which Keras reads when the variable is unset."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        value = json.loads((Path(home) / "keras.json").read_text(encoding="utf-8"))["backend"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return str(value) if value in BACKENDS else None


def auto_choice(platform: str = sys.platform, available: tuple[str, ...] | None = None) -> str:
    """TensorFlow on Linux (and wherever PyTorch is missing); PyTorch on Windows and macOS
    when installed, since TensorFlow has no GPU there (Windows) or only through a plug-in."""
    available = available if available is not None else tuple(b for b in BACKENDS if installed(b))
    if platform.startswith("linux") or TORCH not in available:
        return TENSORFLOW if TENSORFLOW in available or not available else available[0]
    return TORCH


def select(choice: str | None = None, *, force: bool = False) -> str:
    """Fixes the backend for this process and the workers it spawns; returns its name.

    ``choice`` (else ``SONOTAG_BACKEND``) may be ``auto`` or a backend name; an explicit
    ``KERAS_BACKEND`` wins unless ``force`` (a command-line option, a preference). Once Keras
    is imported its backend is what it is: forcing another one then is an error.
    """
    if "keras" in sys.modules:
        if force and choice and choice != AUTO and choice != name():
            from model.errors import SonotagError

            raise SonotagError(None, f"Keras already runs on {name()}; cannot switch to {choice}")
        return name()
    if os.environ.get(BACKEND_ENV) and not force:
        return name()
    wanted = (choice or os.environ.get(CHOICE_ENV) or AUTO).strip().lower()
    if wanted == AUTO:
        wanted = _keras_json() or auto_choice()
    if wanted not in BACKENDS:
        from model.errors import SonotagError

        raise SonotagError(None, f"unknown backend {wanted!r}; use auto, tensorflow, torch or jax")
    os.environ[BACKEND_ENV] = wanted
    return wanted


def name() -> str:
    """The backend Keras uses (or will use) in this process."""
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "config"):
        return str(keras.config.backend())
    return os.environ.get(BACKEND_ENV) or _keras_json() or TENSORFLOW


def label(backend: str | None = None) -> str:
    """For people: "TensorFlow", "PyTorch", "JAX"."""
    backend = backend or name()
    return LABELS.get(backend, backend)


def current() -> ModuleType:
    """The module with this backend's own code."""
    backend = name()
    if backend not in BACKENDS:
        from model.errors import SonotagError

        raise SonotagError(None, f"Keras backend {backend!r} is not supported by Sonotag")
    return importlib.import_module(f"model.ml.backends.{backend}")


def set_random_seed(seed: int) -> None:
    """``keras.utils.set_random_seed`` without importing TensorFlow on the other backends:
    Keras' version seeds TensorFlow too whenever it is installed, which would load it (half a
    gigabyte, seconds) into a PyTorch or JAX worker. Same effect on Keras' own generators."""
    import random

    import keras
    import numpy as np

    if name() == TENSORFLOW:
        keras.utils.set_random_seed(seed)
        return
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)
    if name() == TORCH:
        import torch

        torch.manual_seed(seed)


def keep_tensorflow_out() -> None:
    """On PyTorch or JAX, tells Keras that TensorFlow is absent even where it is installed.

    Keras checks ``tf.available`` when it serialises a model (``get_config``, ``save``), and
    that check imports TensorFlow whenever it is installed, which is always for Sonotag: half a
    gigabyte and seconds in every PyTorch or JAX worker that saves a model. Sonotag hands Keras
    no TensorFlow object on those backends, so the answer "absent" is true for its use."""
    if name() == TENSORFLOW or "tensorflow" in sys.modules:
        return
    from keras.src.utils import module_utils

    lazy = getattr(module_utils, "tensorflow", None)
    if lazy is not None and hasattr(lazy, "_available"):
        lazy._available = False
