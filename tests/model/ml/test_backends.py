"""The ML core on each Keras backend: the choice, the device, and no TensorFlow where unused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from model.errors import SonotagError
from model.ml import backends, device

ROOT = Path(__file__).resolve().parents[3]
OTHERS = [b for b in (backends.TORCH, backends.JAX) if backends.installed(b)]


def run_python(code: str, backend: str, *args: object) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter on ``backend`` (Keras picks it once per process)."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    environment = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": path}
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        env=environment,
        cwd=ROOT,
    )


def test_auto_choice_is_tensorflow_on_linux_and_pytorch_where_tensorflow_has_no_gpu() -> None:
    everything = backends.BACKENDS
    assert backends.auto_choice("linux", everything) == backends.TENSORFLOW
    assert backends.auto_choice("win32", everything) == backends.TORCH
    assert backends.auto_choice("darwin", everything) == backends.TORCH
    assert backends.auto_choice("win32", (backends.TENSORFLOW,)) == backends.TENSORFLOW
    assert backends.auto_choice("linux", (backends.JAX,)) == backends.JAX


def test_device_names_are_read_with_aliases_and_a_bad_one_is_named() -> None:
    assert device.wanted_device("") == device.AUTO
    assert device.wanted_device("CPU") == device.CPU
    assert device.wanted_device("cuda:0") == device.GPU
    assert device.wanted_device("mps") == device.GPU
    with pytest.raises(SonotagError, match="SONOTAG_DEVICE.*auto, cpu or gpu"):
        device.wanted_device("tpu")


def test_a_forced_gpu_that_is_missing_is_an_error_not_a_silent_cpu_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(backends.current(), "accelerator", lambda: None)
    monkeypatch.setenv(device.DEVICE_ENV, "gpu")
    device.configure.cache_clear()
    try:
        with pytest.raises(SonotagError, match="a GPU was asked for"):
            device.configure()
    finally:
        device.configure.cache_clear()


def test_the_device_says_which_backend_computes() -> None:
    info = device.configure()
    assert info.backend == backends.name()
    assert backends.label() in info.description


def test_forcing_another_backend_after_keras_started_is_refused() -> None:
    import keras  # noqa: F401 - the point: Keras is loaded

    other = next(b for b in backends.BACKENDS if b != backends.name())
    with pytest.raises(SonotagError, match="cannot switch"):
        backends.select(other, force=True)
    assert backends.select(backends.name(), force=True) == backends.name()


NO_TENSORFLOW = """
import sys
import numpy as np
import model.ml.backbone, model.ml.bundle, model.ml.crossval, model.ml.features
import model.ml.finetune, model.ml.head, model.ml.predict, model.ml.streaming, model.ml.train
import model.ml.scoring, model.cli.ml_commands
from model.ml import backends, device
from model.ml.head import HeadConfig, MLP, train_head
info = device.configure()
rng = np.random.default_rng(0)
x = rng.normal(size=(64, 16)).astype(np.float32)
y = (x[:, :2] > 0).astype(np.float32)
fit = train_head(x, y, (x, y), HeadConfig(kind=MLP, epochs=2))
import tempfile, pathlib
from model.ml.head import inference_copy
inference_copy(fit.model).save(pathlib.Path(tempfile.mkdtemp()) / "head.keras")
print(info.description)
print("TENSORFLOW" if "tensorflow" in sys.modules else "CLEAN")
"""


@pytest.mark.parametrize("backend", OTHERS)
def test_the_ml_core_on_another_backend_never_imports_tensorflow(backend: str) -> None:
    out = run_python(NO_TENSORFLOW, backend)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    assert lines[-1] == "CLEAN", out.stdout
    assert backends.label(backend) in lines[-2]


def test_the_cli_backend_option_sets_keras_backend_for_a_fresh_process() -> None:
    code = (
        "import os, argparse\n"
        "from model.cli.compute import apply_compute_options\n"
        "apply_compute_options(argparse.Namespace(device='cpu', backend='tensorflow'))\n"
        "print(os.environ['KERAS_BACKEND'], os.environ['SONOTAG_DEVICE'])\n"
    )
    out = run_python(code, backends.JAX)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["tensorflow", "cpu"]


#: The ML tests that exercise Keras itself (training the MLP head in memory and from disk,
#: saving and loading bundles, the NumPy head against Keras), run again on JAX's CPU wheel.
#: Fine-tuning (ResNet50's backward pass) is left out: on JAX's CPU build one epoch of the
#: test's clips ran past 10 minutes here (2 cores under a load of about 10);
#: bench/gpu_check.py fine-tunes on PyTorch and, with --cpu, on JAX.
SECOND_BACKEND_SUITE = [
    "tests/model/ml/test_bundle.py",
    "tests/model/ml/test_numpy_head.py",
    "tests/model/ml/test_streaming.py::test_mlp_head_trains_from_disk_with_early_stopping",
    "tests/model/ml/test_streaming.py::test_training_a_project_from_disk",
    "tests/model/ml/test_train.py::test_the_study_head_reports_epochs_and_stops_early_on_its_own"
    "_validation_part",
]
SECOND_RUN = "SONOTAG_SECOND_BACKEND_RUN"


@pytest.mark.skipif(not backends.installed(backends.JAX), reason="JAX is not installed")
@pytest.mark.skipif(bool(os.environ.get(SECOND_RUN)), reason="already the second run")
@pytest.mark.skipif(backends.name() != backends.TENSORFLOW, reason="run from the TensorFlow suite")
def test_the_keras_tests_pass_on_jax_too() -> None:
    """CI's second backend: JAX's CPU wheel (about 90 MB; PyTorch's Linux wheel from PyPI
    brings about 3 GB of CUDA libraries), installed by packaging/install.sh."""
    environment = {**os.environ, "KERAS_BACKEND": backends.JAX, SECOND_RUN: "1"}
    environment["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SECOND_BACKEND_SUITE],
        capture_output=True,
        text=True,
        timeout=1200,
        env=environment,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    assert " passed" in out.stdout.strip().splitlines()[-1]
