"""The OpenVINO engine against the Keras one: same network, same weights, features that agree
closely enough for a head trained on either engine's features to score the other's."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from model.errors import SonotagError
from model.ml import engine as engines
from model.ml.backbone import BackboneSpec, FeatureExtractor
from model.ml.engine import resnet50_layers
from model.ml.engine.openvino_engine import OpenVinoResNet50

KERAS_KEYS = {
    resnet50_layers.CONV: ("kernel", "bias"),
    resnet50_layers.BN: ("gamma", "beta", "moving_mean", "moving_variance"),
}


@pytest.fixture(scope="module")
def keras_f32() -> FeatureExtractor:
    return FeatureExtractor(BackboneSpec.untrained(), precision="float32", batch_size=8)


@pytest.fixture(scope="module")
def clip_images_of_two_sounds() -> tuple[np.ndarray, np.ndarray]:
    """Clip images of tones (class 1) and of noise (class 0), with their labels."""
    from model.clips import ClipSettings, clip_image

    settings = ClipSettings()
    rng = np.random.default_rng(3)
    t = np.arange(settings.clip_samples) / settings.sample_rate
    images, labels = [], []
    for i in range(24):
        noise = rng.normal(0, 10 ** rng.uniform(-3.5, -2.5), t.size)
        if i % 2:
            f0 = rng.uniform(1500, 6000)
            noise += 0.03 * np.sin(2 * np.pi * f0 * t) * (np.abs(t - 1.0) < rng.uniform(0.2, 0.8))
        images.append(clip_image(noise.astype(np.float32), settings))
        labels.append(i % 2)
    return np.stack(images), np.array(labels, np.float32)


def test_layer_list_is_keras_resnet50_weight_for_weight(keras_f32: FeatureExtractor) -> None:
    theirs = [(v.path, tuple(v.shape)) for v in keras_f32.network.weights]
    ours = [
        (f"{layer.name}/{key}", shape)
        for layer in resnet50_layers.layers()
        for key, shape in zip(KERAS_KEYS[layer.kind], layer.shapes, strict=True)
    ]
    assert ours == theirs


def test_seeded_weights_equal_the_keras_networks(keras_f32: FeatureExtractor) -> None:
    ours = [w for layer in resnet50_layers.seeded_weights(0).values() for w in layer]
    theirs = [np.asarray(v) for v in keras_f32.network.weights]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):  # keras_f32 got them from _seeded_weights
        np.testing.assert_array_equal(a, b)


def test_keras_h5_file_is_read_by_position_as_keras_reads_it(
    keras_f32: FeatureExtractor, tmp_path: Path
) -> None:
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    path = tmp_path / "notop.h5"
    with h5py.File(path, "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, keras_f32.network)
    read = resnet50_layers.read_keras_h5(path)
    for name, values in resnet50_layers.seeded_weights(0).items():
        for a, b in zip(read[name], values, strict=True):
            np.testing.assert_array_equal(a, b)


def test_a_file_of_other_weights_is_refused_with_its_cause(tmp_path: Path) -> None:
    import h5py

    from model.errors import ModelBundleError

    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as handle:
        handle.attrs["layer_names"] = [b"dense"]
        group = handle.create_group("dense")
        group.attrs["weight_names"] = [b"dense/kernel:0"]
        group["dense/kernel:0"] = np.zeros((3, 3), np.float32)
    with pytest.raises(ModelBundleError, match="does not hold ResNet50 weights"):
        resnet50_layers.read_keras_h5(path)


def test_float32_features_equal_keras_to_a_millionth(
    keras_f32: FeatureExtractor, clip_images_of_two_sounds: tuple[np.ndarray, np.ndarray]
) -> None:
    images, _ = clip_images_of_two_sounds
    ov = OpenVinoResNet50(BackboneSpec.untrained(), precision="float32", batch_size=5)
    a, b = ov.embed(images), keras_f32.embed(images)
    assert np.abs(a - b).max() <= 1e-5 * np.abs(b).max()
    # Below the cache's float16, so float32 features of both engines share one cache key.
    assert ov.cache_key == keras_f32.cache_key == "resnet50-untrained-seed0"


def test_bfloat16_features_are_close_and_cached_apart(
    keras_f32: FeatureExtractor, clip_images_of_two_sounds: tuple[np.ndarray, np.ndarray]
) -> None:
    images, _ = clip_images_of_two_sounds
    ov = OpenVinoResNet50(BackboneSpec.untrained(), precision="mixed_bfloat16")
    keras_bf16 = FeatureExtractor(BackboneSpec.untrained(), precision="mixed_bfloat16")
    a, b = ov.embed(images), keras_f32.embed(images)
    assert np.abs(a - b).max() <= 0.03 * np.abs(b).max()
    keys = {ov.cache_key, keras_bf16.cache_key, keras_f32.cache_key}
    assert len(keys) == 3  # each engine's bfloat16 rounding has its own cache


def test_a_head_trained_on_one_engine_scores_the_others_features(
    keras_f32: FeatureExtractor, clip_images_of_two_sounds: tuple[np.ndarray, np.ndarray]
) -> None:
    from model.ml.head import HeadConfig
    from tests.model.ml.test_numpy_head import linear_head_module

    fit_linear = linear_head_module().fit_linear
    from model.ml.metrics import average_precision

    images, labels = clip_images_of_two_sounds
    train, test = np.arange(16), np.arange(16, 24)  # both halves hold both sounds
    ov = OpenVinoResNet50(BackboneSpec.untrained(), precision="mixed_bfloat16")
    by_engine = {"keras": keras_f32.embed(images), "openvino": ov.embed(images)}
    targets = labels[:, None]
    for trained_on, scored_on in (("keras", "openvino"), ("openvino", "keras")):
        head = fit_linear(by_engine[trained_on][train], targets[train], HeadConfig()).model
        own = np.asarray(head(by_engine[trained_on][test]))
        other = np.asarray(head(by_engine[scored_on][test]))
        assert np.abs(own - other).max() < 0.05, (trained_on, scored_on)
        assert average_precision(targets[test], other)[0] == pytest.approx(
            average_precision(targets[test], own)[0], abs=1e-9
        )


def test_compiled_network_is_built_once_then_read_from_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from model.ml.engine import openvino_engine, openvino_resnet

    monkeypatch.setenv("SONOTAG_CACHE_DIR", str(tmp_path))
    builds = []
    original = openvino_resnet.build_model

    def counted(*args: object, **kwargs: object) -> object:
        builds.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(openvino_resnet, "build_model", counted)
    images = np.zeros((2, 224, 224, 3), np.uint8)
    first = OpenVinoResNet50(BackboneSpec.untrained(5), precision="float32").embed(images)
    openvino_engine._RUNNERS.clear()  # as in a new process: only the disk cache is left
    second = OpenVinoResNet50(BackboneSpec.untrained(5), precision="float32").embed(images)
    assert len(builds) == 1
    np.testing.assert_array_equal(first, second)
    folder = next((tmp_path / "openvino").glob("resnet50-untrained-seed5-*"))
    for name in ("model.xml", "model.bin"):  # a broken cache is rebuilt, not fatal
        (folder / name).write_bytes(b"damaged")
    shutil.rmtree(folder / "compiled")
    openvino_engine._RUNNERS.clear()
    third = OpenVinoResNet50(BackboneSpec.untrained(5), precision="float32").embed(images)
    np.testing.assert_array_equal(first, third)
    assert len(builds) == 2


def test_engine_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(engines.ENGINE_ENV, raising=False)
    monkeypatch.setattr(engines, "cuda_gpu_present", lambda: False)
    assert engines.choose() == engines.OPENVINO
    assert engines.choose("keras") == engines.KERAS
    monkeypatch.setenv(engines.ENGINE_ENV, "keras")
    assert engines.choose() == engines.KERAS
    monkeypatch.setenv(engines.ENGINE_ENV, "tensorrt")
    with pytest.raises(SonotagError, match="unknown engine 'tensorrt'"):
        engines.choose()
    monkeypatch.delenv(engines.ENGINE_ENV)
    monkeypatch.setattr(engines, "cuda_gpu_present", lambda: True)
    assert engines.choose() == engines.KERAS  # TensorFlow's CUDA build runs GPUs
    monkeypatch.setattr(engines, "cuda_gpu_present", lambda: False)
    for reason in ("openvino is not installed", "OpenVINO has no CPU plugin here"):
        monkeypatch.setattr(engines, "openvino_usable", lambda reason=reason: reason)
        assert engines.choose() == engines.KERAS  # the fallback, decided before any cache key
        with pytest.raises(SonotagError, match=f"asked for but {reason}"):
            engines.choose("openvino")


def test_an_unusable_openvino_install_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from model.ml.engine import openvino_runtime

    class NoCpu:
        available_devices = ["GPU"]

    class Broken:
        @property
        def available_devices(self) -> list[str]:
            raise RuntimeError("libopenvino_intel_cpu_plugin.so: cannot open shared object")

    for core, cause in ((NoCpu(), "no CPU plugin"), (Broken(), "does not start.*cannot open")):
        openvino_runtime.unusable_reason.cache_clear()
        monkeypatch.setattr(openvino_runtime, "core", lambda core=core: core)
        assert re.search(cause, openvino_runtime.unusable_reason() or "")
    openvino_runtime.unusable_reason.cache_clear()
    monkeypatch.undo()
    assert openvino_runtime.unusable_reason() is None  # this machine runs it


def test_backbone_says_which_engine_runs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from model.ml.backbones import create

    monkeypatch.delenv(engines.ENGINE_ENV, raising=False)
    monkeypatch.setattr(engines, "cuda_gpu_present", lambda: False)
    backbone = create("resnet50-untrained", precision="float32")
    assert backbone.engine == "openvino"
    assert "OpenVINO, float32" in backbone.device.description
    entry = backbone.describe()
    assert entry["engine"] == "openvino" and entry["precision"] == "float32"
    assert create("resnet50-untrained", engine="keras").engine == "keras"


def test_a_step_that_preprocesses_on_its_device_is_given_the_uint8_images() -> None:
    """PyTorch's inference step takes the clip images as they are and preprocesses them on the
    GPU (a float32 copy per batch held an H200 at a fifth of the network's speed); every
    other step gets Keras' caffe preprocessing done in NumPy. Same features either way."""
    from model.ml.backbone import BackboneSpec, FeatureExtractor, preprocess

    seen: list[np.ndarray] = []

    def on_device(batch: np.ndarray) -> np.ndarray:
        seen.append(batch)
        x = batch[..., ::-1].astype(np.float32) - np.array([103.939, 116.779, 123.68], np.float32)
        return np.repeat(x.reshape(len(x), -1)[:, :1], 2048, axis=1)

    on_device.takes_uint8 = True  # type: ignore[attr-defined]

    def in_numpy(batch: np.ndarray) -> np.ndarray:
        seen.append(batch)
        return np.repeat(batch.reshape(len(batch), -1)[:, :1], 2048, axis=1)

    images = np.random.default_rng(3).integers(0, 256, (5, 224, 224, 3), np.uint8)
    results = []
    for step in (on_device, in_numpy):
        extractor = FeatureExtractor(BackboneSpec.untrained(), precision="float32", batch_size=2)
        extractor._network, extractor._step = object(), step  # no network built
        seen.clear()
        results.append(extractor.embed(images))
        assert [b.dtype for b in seen] == [np.uint8 if step is on_device else np.float32] * 3
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[1][:, 0], preprocess(images).reshape(5, -1)[:, 0])
