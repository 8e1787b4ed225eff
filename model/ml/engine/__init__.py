"""Which inference engine runs a frozen backbone: OpenVINO on CPUs, Keras on GPUs and for training.

Chosen by measurement (``bench/bench_pipeline.py``; issue 13): on the 2-core development CPUs,
ResNet50 through OpenVINO ran 1.7-2.6x TensorFlow's rate in the same precision, and it starts
without TensorFlow's 5-s import. Keras stays the engine wherever weights change (fine-tuning),
on NVIDIA GPUs (TensorFlow's CUDA build is what the ``gpu`` extra installs) and wherever
OpenVINO is not installed. ``SONOTAG_ENGINE=keras`` or ``=openvino`` overrides the choice,
e.g. to reproduce features computed elsewhere.

Features of the two engines agree to 1e-6 in float32 and to about 0.5 % in bfloat16 (each
engine rounds differently), so the feature cache keys bfloat16 features by engine, and a head
trained on one engine's features scores the other's correctly (``tests/model/ml/test_engine.py``).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from model.errors import SonotagError

KERAS = "keras"
OPENVINO = "openvino"
ENGINES = (KERAS, OPENVINO)
ENGINE_ENV = "SONOTAG_ENGINE"


def cuda_gpu_present() -> bool:
    """An NVIDIA GPU TensorFlow could use: the CUDA wheels of the ``gpu`` extra and a driver.
    Checked without importing TensorFlow (that alone costs seconds)."""
    if sys.platform not in ("linux", "win32"):
        return False
    if importlib.util.find_spec("nvidia") is None:
        return False
    return Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None


def accelerator_likely() -> bool:
    """Whether the Keras backend will compute on a GPU (``model.ml.device``), guessed without
    importing it: a forced ``SONOTAG_DEVICE``, an NVIDIA driver with CUDA wheels, or Apple
    silicon under PyTorch (MPS). Then Keras runs the backbone; else OpenVINO on the CPU."""
    import platform

    from model.ml import backends, device

    wanted = device.wanted_device()
    if wanted != device.AUTO:
        return wanted == device.GPU
    if cuda_gpu_present():
        return True
    apple = sys.platform == "darwin" and platform.machine() == "arm64"
    return apple and backends.name() == backends.TORCH


def openvino_available() -> bool:
    from model.ml.engine.openvino_runtime import available

    return available()


def openvino_usable() -> str | None:
    """None when OpenVINO can run on this CPU, else why not (not installed, a broken install,
    no CPU plugin for this processor): then Keras is the engine, so the choice is settled
    before any feature-cache key is read (the key names the engine's rounding)."""
    from model.ml.engine.openvino_runtime import unusable_reason

    return unusable_reason()


def choose(requested: str | None = None) -> str:
    """The engine for frozen-backbone features: ``requested``, else ``SONOTAG_ENGINE``, else
    OpenVINO on a CPU where it runs, else Keras (the fallback: GPUs, no or broken OpenVINO)."""
    wanted = (requested or os.environ.get(ENGINE_ENV, "")).strip().lower()
    if wanted and wanted not in ENGINES:
        raise SonotagError(None, f"unknown engine {wanted!r} ({ENGINE_ENV}); use keras or openvino")
    if wanted == OPENVINO:
        reason = openvino_usable()
        if reason is not None:
            raise SonotagError(None, f"the OpenVINO engine was asked for but {reason}")
    if wanted:
        return wanted
    if not accelerator_likely() and openvino_usable() is None:
        return OPENVINO
    return KERAS


@contextmanager
def blas_one_thread() -> Iterator[None]:
    """NumPy's BLAS held to one thread while a pipeline draws clip images beside the engine.

    Measured (issue 13): scoring a file on 2 cores, the producer thread's small matrix
    products each woke OpenBLAS's second thread, which then fought the engine's own threads
    for the cores: the producer ran at a tenth of its standalone rate and the backbone waited
    for it (2.4 against 5.0 clips/s end to end with one BLAS thread, same load). The products
    of one clip are too small to gain from threads; the engines keep their own thread pools.
    Process-wide (as BLAS's setting is) and restored on exit."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield
