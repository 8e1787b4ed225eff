"""The head in NumPy gives Keras' scores, and scoring a recording never imports TensorFlow."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from model.ml.numpy_head import read_head
from tests.conftest import REPO


def linear_head_module() -> Any:
    """Where the linear head is built and fitted: ``model.ml.linear_head`` since it got a
    module of its own, ``model.ml.head`` before (the two branches landed in either order)."""
    import importlib

    try:
        return importlib.import_module("model.ml.linear_head")
    except ModuleNotFoundError:
        return importlib.import_module("model.ml.head")


def _keras_bytes(model: object, tmp_path: Path) -> bytes:
    path = tmp_path / "head.keras"
    model.save(path)  # type: ignore[attr-defined]
    return path.read_bytes()


@pytest.mark.parametrize("kind", ["linear", "mlp"])
def test_numpy_scores_equal_keras_scores(kind: str, tmp_path: Path) -> None:
    from model.ml.head import build_head

    build_linear_head = linear_head_module().build_linear_head

    rng = np.random.default_rng(1)
    mean = rng.normal(0, 1, 64).astype(np.float32)
    variance = rng.uniform(0.0, 2.0, 64).astype(np.float32)
    variance[:3] = 0.0  # a constant feature: Keras' epsilon floor applies
    if kind == "linear":
        model = build_linear_head(rng.normal(0, 1, (64, 3)), rng.normal(0, 1, 3), mean, variance)
    else:
        model = build_head(3, mean, variance)
    features = rng.normal(0, 3, (50, 64)).astype(np.float32)
    head = read_head(_keras_bytes(model, tmp_path))
    assert head is not None and head.input_dim == 64 and head.output_dim == 3
    expected = np.asarray(model(features, training=False))
    np.testing.assert_allclose(head(features), expected, rtol=1e-5, atol=1e-6)


def test_an_unknown_head_is_left_to_keras(tmp_path: Path) -> None:
    import keras

    inputs = keras.Input((8,))
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.Dense(4)(inputs))
    data = _keras_bytes(keras.Model(inputs, outputs), tmp_path)
    assert read_head(data) is None  # no Normalization first: not a head Sonotag trains


def test_damaged_weights_are_an_error_not_garbage(tmp_path: Path) -> None:
    from model.ml.head import build_head

    data = _keras_bytes(build_head(2, np.zeros(8, np.float32), np.ones(8, np.float32)), tmp_path)
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(broken, "w") as dst:
        for name in src.namelist():
            body = src.read(name)
            dst.writestr(name, body[: len(body) // 3] if name.endswith(".h5") else body)
    with pytest.raises((OSError, ValueError, KeyError)):
        read_head(broken.getvalue())


def test_predict_runs_without_tensorflow(tmp_path: Path, real_data: Path) -> None:
    """``sonotag predict`` with a head bundle: TensorFlow and Keras are never imported."""
    from tests.model.test_batch import make_head_bundle

    bundle = make_head_bundle(tmp_path / "head.sonotag-model")
    audio = sorted((real_data / "great_tit").glob("*.wav"))[0]
    code = (
        "import sys\n"
        "from app.entry import main\n"
        f"code = main(['predict', {str(bundle)!r}, {str(audio)!r}, '--out', {str(tmp_path)!r}])\n"
        "loaded = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)\n"
        "print('LOADED', loaded, code)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "SONOTAG_ENGINE": "openvino"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO
    )
    assert "LOADED [] 0" in done.stdout, done.stdout + done.stderr
    assert "engine: CPU (OpenVINO" in done.stdout


def test_project_scoring_runs_without_tensorflow(tmp_path: Path) -> None:
    """GUI scoring's job (``predict_job``, run in the worker): features through the CPU engine,
    the head in NumPy, scores stored; TensorFlow and Keras are never imported."""
    from model.ml.bundle import read_manifest
    from model.project import Project
    from tests.model.test_batch import CLASSES, make_head_bundle, write_wav

    path = tmp_path / "p.sonotag"
    with Project.create(path) as project:
        for index, name in enumerate(CLASSES):
            project.add_class(name, "#ff0000", str(index + 1))
        project.add_recording(write_wav(tmp_path / "night.wav", 6.0, 1))
        bundle = make_head_bundle(tmp_path / "head.sonotag-model")
        project.add_model("m1", bundle, read_manifest(bundle), {}, activate=True)
    code = (
        "import sys\n"
        "from model.jobs import run_inline\n"
        "from model.ml.predict import predict_job\n"
        f"result = run_inline(predict_job, {str(path)!r}, hop=1.0)\n"
        "loaded = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)\n"
        "print('LOADED', loaded, result['windows'], result['engine'])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "SONOTAG_ENGINE": "openvino"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO
    )
    assert "LOADED [] 5 CPU (OpenVINO" in done.stdout, done.stdout + done.stderr
    with Project.open(path) as project:
        model = project.active_model()
        assert model is not None and len(project.scored_recordings(model.id)) == 1
