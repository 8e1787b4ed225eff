"""ImageNet weights: import from a file with its hash check, offline messages, the real loader.

No download is ever attempted: the network function is replaced by one that fails like an
offline laptop, and Keras' cache folder points into the test's temporary directory.
"""

from __future__ import annotations

import urllib.error
from pathlib import Path

import numpy as np
import pytest

from model.errors import ModelBundleError
from model.ml import weights
from model.ml.backbone import BackboneSpec, FeatureExtractor, build_network


@pytest.fixture
def keras_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from keras.src.backend import config

    home = tmp_path / "keras-home"
    home.mkdir()
    monkeypatch.setattr(config, "_KERAS_DIR", str(home))
    return home


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    tried: list[str] = []

    def fail(url: str, target: Path, reporter: object) -> None:
        tried.append(url)
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(weights, "_download", fail)
    return tried


def _fake_weights(path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import h5py

    with h5py.File(path, "w") as handle:
        handle.attrs["layer_names"] = [b"conv1_conv"]
        handle.create_group("conv1_conv").create_dataset("kernel", data=np.ones((2, 2)))
    monkeypatch.setattr(weights, "expected_md5", lambda: weights.file_md5(path))
    return path


def test_keras_publishes_the_hash_we_check() -> None:
    from keras.src.applications import resnet

    assert resnet.WEIGHTS_HASHES["resnet50"][1] == weights.MD5
    assert weights.URL == resnet.BASE_WEIGHTS_PATH + weights.FILE_NAME


def test_offline_without_weights_says_what_to_do(keras_home: Path, offline: list[str]) -> None:
    with pytest.raises(weights.WeightsMissingError) as info:
        weights.ensure_weights()
    message = str(info.value)
    assert "could not be downloaded" in message and "name resolution" in message
    assert weights.FILE_NAME in message and "import" in message.lower()
    assert offline == [weights.URL]
    with pytest.raises(weights.WeightsMissingError, match="downloads are switched off"):
        weights.ensure_weights(download=False)
    assert len(offline) == 1


def test_file_with_the_wrong_hash_is_refused(tmp_path: Path, keras_home: Path) -> None:
    wrong = tmp_path / weights.FILE_NAME
    wrong.write_bytes(b"\x89HDF\r\n" + b"0" * 1000)
    with pytest.raises(ModelBundleError, match="MD5 checksum is .* expected 4d473c1d"):
        weights.import_weights(wrong)
    assert weights.find_weights() is None
    assert not weights.cached_weights_path().exists()


def test_imported_file_lands_in_keras_cache_and_is_used_offline(
    tmp_path: Path, keras_home: Path, offline: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _fake_weights(tmp_path / "from-usb-stick.h5", monkeypatch)
    installed = weights.import_weights(source)
    assert installed == keras_home / "models" / weights.FILE_NAME
    assert installed.read_bytes() == source.read_bytes()
    assert weights.find_weights() == installed
    assert weights.ensure_weights(download=False) == installed
    assert offline == []
    # The loader reaches the file and says clearly that it holds no ResNet50.
    with pytest.raises(ModelBundleError, match="does not hold ResNet50 weights"):
        build_network(BackboneSpec.imagenet())


def test_bundle_from_other_weights_is_refused(keras_home: Path) -> None:
    spec = BackboneSpec("imagenet", 0, "0123456789abcdef0123456789abcdef")
    with pytest.raises(ModelBundleError, match="retrain the model"):
        build_network(spec)


@pytest.mark.slow
def test_real_weights_file_layout_loads_through_the_imagenet_path(
    tmp_path: Path, keras_home: Path, offline: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file in the exact layout of Keras' notop file (written from the seeded network) loads
    via the ImageNet route and gives the seeded network's features."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    untrained = FeatureExtractor(BackboneSpec.untrained(), precision="float32", batch_size=4)
    path = tmp_path / weights.FILE_NAME
    with h5py.File(path, "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, untrained.network)
    monkeypatch.setattr(weights, "expected_md5", lambda: weights.file_md5(path))
    weights.import_weights(path)
    imagenet = FeatureExtractor(BackboneSpec.imagenet(), precision="float32", batch_size=4)
    assert imagenet.cache_key.startswith("resnet50-imagenet-")
    images = np.random.default_rng(0).integers(0, 256, (3, 224, 224, 3), dtype=np.uint8)
    np.testing.assert_allclose(imagenet.embed(images), untrained.embed(images), rtol=1e-5)
