"""Fine-tuning runs (one tiny epoch on CPU): conv5 learns, earlier stages and batch norm stay."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.jobs import run_inline
from model.ml.bundle import KIND_FINE_TUNED, load_bundle
from model.ml.predict import Scorer
from model.ml.train import train_job


def _weights(model: object, prefix: str) -> dict[str, np.ndarray]:
    return {w.path: np.array(w) for w in model.weights if prefix in w.path}


@pytest.mark.slow
def test_fine_tune_one_epoch_and_reload(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from model.ml import finetune

    seen: dict[str, object] = {}
    real_fit = finetune.fine_tune

    def spy(model: object, images: np.ndarray, *args: object, **kwargs: object) -> object:
        seen["before"] = _weights(model, "conv5_block3_3_conv")
        seen["frozen"] = _weights(model, "conv4_block1_1_conv")
        seen["bn"] = _weights(model, "conv5_block3_3_bn")
        out = real_fit(model, images[:8], *args, **{**kwargs, "batch_size": 4})
        seen["model"] = model
        return out

    monkeypatch.setattr(finetune, "fine_tune", spy)
    result = run_inline(
        train_job,
        str(project_copy),
        untrained_backbone=True,
        epochs=3,
        fine_tune=True,
        fine_tune_epochs=1,
        score=False,
    )
    model = seen["model"]
    changed = _weights(model, "conv5_block3_3_conv")
    assert any(not np.array_equal(changed[k], v) for k, v in seen["before"].items())
    for key, value in {**seen["frozen"], **seen["bn"]}.items():
        assert np.array_equal(_weights(model, key)[key], value), key
    assert len(result["history"]["fine_tune"]) == 1
    bundle = load_bundle(result["bundle"])
    assert bundle.kind == KIND_FINE_TUNED
    images = np.random.default_rng(0).integers(0, 256, (2, 224, 224, 3), dtype=np.uint8)
    from model.ml.finetune import predict_images

    np.testing.assert_allclose(
        Scorer(bundle).scores_from_inputs(images), predict_images(model, images), atol=1e-5
    )
