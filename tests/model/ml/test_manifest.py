"""Bundle manifests are checked field by field before anything in the bundle is used."""

from __future__ import annotations

import copy
import json
import math
import zipfile
from pathlib import Path
from typing import Any

import pytest

from model.clips import ClipSettings
from model.errors import ModelBundleError
from model.ml.backbone import BackboneSpec
from model.ml.bundle import load_bundle, read_manifest
from model.ml.manifest import FORMAT_VERSION, validate_manifest


def good_manifest() -> dict[str, Any]:
    settings = ClipSettings()
    return {
        "format": "sonotag-model",
        "format_version": FORMAT_VERSION,
        "kind": "head",
        "classes": [{"name": "owl", "index": 0}, {"name": "wren", "index": 1}],
        "clip_settings": settings.to_dict(),
        "clip_settings_fingerprint": settings.fingerprint(),
        "backbone": {**BackboneSpec.untrained().to_dict(), "precision": "float32"},
        "untrained_backbone": True,
        "label_counts": {"owl": {"present": 3, "absent": 1}},
        "metrics": {"map": 0.5},
        "training": {},
        "versions": {"sonotag": "0.1.0"},
        "created": "2026-01-02T03:04:05+00:00",
    }


def changed(path: str, value: Any) -> dict[str, Any]:
    """The good manifest with one field (dotted path; ``-`` deletes it) set to ``value``."""
    manifest = copy.deepcopy(good_manifest())
    *parents, last = path.split(".")
    target: Any = manifest
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value == "-":
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return manifest


# (field changed, bad value, words the message must contain)
BAD_FIELDS = [
    ("format_version", "1", "'format_version'"),
    ("format_version", 1.0, "'format_version'"),
    ("format_version", True, "'format_version'"),
    ("format_version", 0, "'format_version'"),
    ("format_version", 99, "newer Sonotag"),
    ("format", "keras", "not a Sonotag model file"),
    ("kind", "transformer", "'kind' is 'transformer'"),
    ("kind", "-", "'kind' is missing"),
    ("classes", [], "'classes'"),
    ("classes", "owl,wren", "'classes'"),
    ("classes.0.name", "", "empty"),
    ("classes.0.name", "great\ttit", "a tab"),
    ("classes.0.name", "great\ntit", "a line break"),
    ("classes.0.name", 5, "'classes.0.name'"),
    ("classes.0.index", 1, "index 1, expected 0"),
    ("classes.0.index", -1, "'classes.0.index'"),
    ("classes.1.name", "owl", "'owl' is listed twice"),
    ("clip_settings.sample_rate", 0, "'sample_rate' must be positive"),
    ("clip_settings.n_fft", -5, "'n_fft' must be positive"),
    ("clip_settings.sample_rate", "22050", "'sample_rate' must be an integer"),
    ("clip_settings.clip_seconds", math.nan, "'clip_seconds' must be finite"),
    ("clip_settings.colormap", "rainbowz", "unknown colour map 'rainbowz'"),
    ("clip_settings.colormap", "", "'colormap'"),
    ("clip_settings.fmax", 20000.0, "'fmax'"),
    ("clip_settings.version", 2, "'version'"),
    ("clip_settings.n_mels", "-", "'n_mels' is missing"),
    ("clip_settings.hop", 1.0, "unknown clip setting 'hop'"),
    ("clip_settings", [], "'clip_settings'"),
    ("clip_settings_fingerprint", "0" * 64, "does not match"),
    ("backbone.weights", "birdnet", "'backbone.weights' is 'birdnet'"),
    ("backbone.architecture", "vgg16", "'backbone.architecture' is 'vgg16'"),
    ("backbone.seed", -1, "'backbone.seed'"),
    ("backbone.seed", "0", "'backbone.seed'"),
    ("backbone.weights_hash", "xyz", "32-digit MD5"),
    ("backbone.precision", "float16", "'backbone.precision' is 'float16'"),
    ("backbone.key", "resnet50-imagenet-12345678", "'key'"),
    ("backbone", "-", "'backbone' is missing"),
    ("untrained_backbone", False, "'untrained_backbone' contradicts"),
    ("label_counts.owl.present", -3, "'label_counts.owl.present'"),
    ("versions.sonotag", 1, "'versions.sonotag'"),
    ("created", "yesterday", "'created'"),
    ("detection_band_hz", [8000.0, 2000.0], "0 <= low < high"),
    ("detection_band_hz", [-1.0, 2000.0], "0 <= low < high"),
    ("detection_band_hz", [0.0, math.inf], "0 <= low < high"),
    ("detection_band_hz", "2-8 kHz", "'detection_band_hz'"),
    ("detection_band_hz", [2000.0], "'detection_band_hz.1' is missing"),
]


@pytest.mark.parametrize(("field", "value", "words"), BAD_FIELDS)
def test_a_bad_field_is_refused_and_named(field: str, value: Any, words: str) -> None:
    with pytest.raises(ModelBundleError) as caught:
        validate_manifest(changed(field, value), "m.sonotag-model")
    assert words in str(caught.value)
    assert str(caught.value).startswith("m.sonotag-model: ")


def test_the_good_manifest_and_unknown_extra_fields_pass() -> None:
    manifest = validate_manifest(good_manifest())
    assert manifest.class_names == ["owl", "wren"]
    assert manifest.settings == ClipSettings()
    assert manifest.backbone.spec == BackboneSpec.untrained()
    later = {**good_manifest(), "added_by_a_later_version": {"x": 1}}
    later["backbone"]["licence"] = "MIT"
    assert validate_manifest(later).backbone.spec == BackboneSpec.untrained()


def test_imagenet_backbone_needs_its_weights_hash() -> None:
    manifest = changed("backbone.weights", "imagenet")
    manifest["untrained_backbone"] = False
    manifest["backbone"]["key"] = None
    with pytest.raises(ModelBundleError, match="weights_hash"):
        validate_manifest(manifest)


def bundle_file(path: Path, manifest: Any, entries: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        if manifest is not None:
            text = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
            archive.writestr("manifest.json", text)
        for name, data in (entries or {}).items():
            archive.writestr(name, data)
    return path


def test_read_manifest_refuses_a_bad_field_before_any_model_is_read(tmp_path: Path) -> None:
    path = bundle_file(tmp_path / "zero.sonotag-model", changed("clip_settings.sample_rate", 0))
    with pytest.raises(ModelBundleError, match="'sample_rate' must be positive"):
        read_manifest(path)
    with pytest.raises(ModelBundleError, match="'sample_rate' must be positive"):
        load_bundle(path)


@pytest.mark.parametrize(
    ("manifest", "words"),
    [
        (b"[1, 2]", "not a Sonotag model file"),
        (b"{not json", "not a Sonotag model file"),
        (b"\xff\xfe{}", "not a Sonotag model file"),
        (None, "not a Sonotag model file"),
    ],
)
def test_unreadable_manifests_are_refused(tmp_path: Path, manifest: Any, words: str) -> None:
    path = bundle_file(tmp_path / "m.sonotag-model", manifest, {"head.keras": b"x"})
    with pytest.raises(ModelBundleError, match=words):
        read_manifest(path)


@pytest.mark.parametrize("entry", ["../../escaped.txt", "/tmp/sonotag-escaped.txt", "x/../../e"])
def test_zip_slip_entries_refuse_the_bundle_and_nothing_is_written(
    tmp_path: Path, entry: str
) -> None:
    inside = tmp_path / "a" / "b"
    inside.mkdir(parents=True)
    path = bundle_file(
        inside / "slip.sonotag-model", good_manifest(), {"head.keras": b"x", entry: b"owned"}
    )
    with pytest.raises(ModelBundleError, match="unexpected entry"):
        load_bundle(path)
    assert not (tmp_path / "escaped.txt").exists()
    assert not Path("/tmp/sonotag-escaped.txt").exists()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["slip.sonotag-model"]
