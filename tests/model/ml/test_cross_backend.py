"""Same results on every installed Keras backend (TensorFlow, and PyTorch or JAX where present).

Each backend trains the MLP head in its own process on the same cached features (a fixed
set: three classes whose evidence lies in a few of 2,048 noisy dimensions, like backbone
features of calls in noise). Backends draw their initial weights and dropout from their own
random generators, so the trained heads differ a little: their held-out mAP must agree within
``AP_TOLERANCE``. A bundle is then a file of weights: loaded on any other backend it must give
the same scores to 1e-4 as on the one that trained it, through Keras and through the NumPy head
that scoring uses.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from model.ml import backends
from tests.model.ml.test_backends import run_python

INSTALLED = [b for b in backends.BACKENDS if backends.installed(b)]
AP_TOLERANCE = 0.03  # held-out mAP, absolute; measured 0.894 / 0.907 / 0.908 (TF/PyTorch/JAX)
SCORE_TOLERANCE = 1e-4

pytestmark = pytest.mark.skipif(len(INSTALLED) < 2, reason="only one Keras backend installed")


def cached_features(path: Path, seed: int = 7) -> Path:
    rng = np.random.default_rng(seed)
    n, dim, classes = 3000, 2048, 3
    targets = (rng.random((n, classes)) < 0.3).astype(np.float32)
    x = rng.normal(0, 1, (n, dim)).astype(np.float32)
    for k in range(classes):
        dims = slice(10 * k, 10 * k + 10)
        x[:, dims] += targets[:, k : k + 1] * rng.uniform(0.8, 1.4, 10).astype(np.float32)
    np.savez(path, x=x, y=targets)
    return path


TRAIN = """
import json, sys
import numpy as np
from model.clips.settings import ClipSettings
from model.ml import backends
from model.ml import backbones
from model.ml.bundle import KIND_HEAD, make_manifest, save_bundle
from model.ml.head import MLP, HeadConfig, inference_copy, predict_scores, train_head
from model.ml.metrics import average_precision, mean_ap
data = np.load(sys.argv[1])
x, y = data["x"], data["y"]
fit = train_head(x[:2000], y[:2000], (x[2000:2400], y[2000:2400]), HeadConfig(kind=MLP, seed=0))
ap = mean_ap(average_precision(y[2400:], predict_scores(fit.model, x[2400:])))
manifest = make_manifest(kind=KIND_HEAD, class_names=["a", "b", "c"],
    clip_settings=ClipSettings(),
    backbone=backbones.create("resnet50-untrained").describe(ClipSettings()),
    label_counts={}, metrics={}, training={})
save_bundle(sys.argv[2], inference_copy(fit.model), manifest)
print(json.dumps({"ap": ap, "epochs": len(fit.history), "backend": backends.name()}))
"""

SCORE = """
import json, sys
import numpy as np
from model.ml.bundle import load_bundle
from model.ml.head import predict_scores
x = np.load(sys.argv[1])["x"][2400:]
out = {}
for path in sys.argv[2:]:
    bundle = load_bundle(path)
    out[path] = {"keras": predict_scores(bundle.model, x).tolist(),
                 "numpy": np.asarray(bundle.head(x), np.float32).tolist()}
print(json.dumps(out))
"""


def _last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def test_every_backend_trains_the_same_head_and_reads_every_bundle(tmp_path: Path) -> None:
    features = cached_features(tmp_path / "features.npz")
    trained = {}
    for backend in INSTALLED:
        bundle = tmp_path / f"{backend}.sonotag-model"
        out = run_python(TRAIN, backend, features, bundle)
        assert out.returncode == 0, out.stderr[-3000:]
        result = _last_json(out.stdout)
        assert result["backend"] == backend
        trained[backend] = (bundle, result["ap"])
    aps = {b: ap for b, (_, ap) in trained.items()}
    print(f"held-out mAP per backend: {aps}")  # shown with pytest -s
    assert min(aps.values()) > 0.6, aps  # a task worth comparing on
    assert max(aps.values()) - min(aps.values()) <= AP_TOLERANCE, aps
    bundles = [str(bundle) for bundle, _ in trained.values()]
    scores = {}
    for backend in INSTALLED:
        out = run_python(SCORE, backend, features, *bundles)
        assert out.returncode == 0, out.stderr[-3000:]
        scores[backend] = _last_json(out.stdout)
    for path in bundles:
        reference = np.asarray(scores[INSTALLED[0]][path]["keras"])
        for backend in INSTALLED:
            for way in ("keras", "numpy"):
                got = np.asarray(scores[backend][path][way])
                assert np.max(np.abs(got - reference)) <= SCORE_TOLERANCE, (path, backend, way)
