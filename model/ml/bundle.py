"""A trained model as one file: ``<name>.sonotag-model``, a zip of the Keras model and a manifest.

The manifest is what makes a model reusable months later: which classes, which clip-image
settings, which backbone and weights (by checksum), how many labels per class, the held-out
metrics, the library versions and the date. A bundle that does not fit a project (a class the
project lacks, other clip settings) is refused with a message naming the mismatch, because a
model fed images drawn differently gives confident nonsense. Loading uses Keras' safe mode: a
bundle from a colleague cannot run arbitrary code.
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from model.clips import ClipSettings
from model.errors import ModelBundleError
from model.ml.backbone import BackboneSpec

SUFFIX = ".sonotag-model"
FORMAT = "sonotag-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
HEAD_FILE = "head.keras"  # head on cached backbone features
FULL_FILE = "model.keras"  # fine-tuned: backbone + head on clip images
KIND_HEAD = "head"
KIND_FINE_TUNED = "fine-tuned"


@dataclass
class Bundle:
    path: Path
    manifest: dict[str, Any]
    model: Any  # keras.Model

    @property
    def kind(self) -> str:
        return str(self.manifest["kind"])

    @property
    def class_names(self) -> list[str]:
        return [str(c["name"]) for c in self.manifest["classes"]]

    @property
    def clip_settings(self) -> ClipSettings:
        return ClipSettings.from_dict(self.manifest["clip_settings"])

    @property
    def backbone(self) -> BackboneSpec:
        return BackboneSpec.from_dict(self.manifest["backbone"])

    @property
    def untrained_backbone(self) -> bool:
        return self.backbone.is_untrained


def library_versions() -> dict[str, str]:
    import keras
    import numpy
    import tensorflow

    from model import __version__

    return {
        "sonotag": __version__,
        "python": platform.python_version(),
        "tensorflow": tensorflow.__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
        "platform": f"{sys.platform}-{platform.machine()}",
    }


def make_manifest(
    *,
    kind: str,
    class_names: Sequence[str],
    clip_settings: ClipSettings,
    backbone: BackboneSpec,
    precision: str,
    label_counts: dict[str, dict[str, int]],
    metrics: dict[str, Any],
    training: dict[str, Any],
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "classes": [{"name": name, "index": i} for i, name in enumerate(class_names)],
        "clip_settings": clip_settings.to_dict(),
        "clip_settings_fingerprint": clip_settings.fingerprint(),
        "backbone": {**backbone.to_dict(), "precision": precision},
        "untrained_backbone": backbone.is_untrained,
        "label_counts": label_counts,
        "metrics": metrics,
        "training": training,
        "versions": library_versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def save_bundle(path: str | Path, model: Any, manifest: dict[str, Any]) -> Path:
    """Writes atomically (temp file, then rename) so a crash never leaves half a bundle."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    inner = FULL_FILE if manifest["kind"] == KIND_FINE_TUNED else HEAD_FILE
    partial = path.with_name(path.name + ".part")
    try:
        with tempfile.TemporaryDirectory(prefix="sonotag-bundle-") as tmp:
            keras_file = Path(tmp) / inner
            model.save(keras_file)
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(MANIFEST, json.dumps(manifest, indent=1, allow_nan=False))
                # The .keras file is itself a zip of float weights: deflating it again costs
                # seconds for a fine-tuned model and saves almost nothing.
                archive.write(keras_file, inner, compress_type=zipfile.ZIP_STORED)
        partial.replace(path)
    except OSError as exc:
        raise ModelBundleError(path, f"cannot write the model file: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return path


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest alone (quick: no TensorFlow), validated enough to list the model."""
    path = Path(path)
    if not path.is_file():
        raise ModelBundleError(path, "no such model file")
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelBundleError(path, f"not a Sonotag model file ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelBundleError(path, "not a Sonotag model file (no Sonotag manifest inside)")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise ModelBundleError(
            path, "this model was saved by a newer Sonotag; update Sonotag to use it"
        )
    for key in ("kind", "classes", "clip_settings", "backbone"):
        if key not in manifest:
            raise ModelBundleError(path, f"the model file is damaged (manifest lacks {key!r})")
    return manifest


def load_bundle(path: str | Path) -> Bundle:
    path = Path(path)
    manifest = read_manifest(path)
    inner = FULL_FILE if manifest["kind"] == KIND_FINE_TUNED else HEAD_FILE
    import keras

    try:
        with tempfile.TemporaryDirectory(prefix="sonotag-bundle-") as tmp:
            with zipfile.ZipFile(path) as archive:
                archive.extract(inner, tmp)
            model = keras.saving.load_model(Path(tmp) / inner, compile=False, safe_mode=True)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, TypeError) as exc:
        raise ModelBundleError(path, f"the model inside the file cannot be read ({exc})") from exc
    if int(model.output_shape[-1]) != len(manifest["classes"]):
        raise ModelBundleError(path, "the model file is damaged (outputs do not match classes)")
    return Bundle(path, manifest, model)


def check_compatible(
    manifest: dict[str, Any],
    project_classes: Sequence[Any],
    clip_settings: ClipSettings,
    path: str | Path | None = None,
) -> None:
    """Raises ModelBundleError naming what does not fit; extra project classes are fine (the
    model simply has no scores for them), missing ones and other clip settings are not."""
    names = {getattr(c, "name", c) for c in project_classes}
    missing = [c["name"] for c in manifest["classes"] if c["name"] not in names]
    if missing:
        raise ModelBundleError(
            path,
            "this model knows classes the project does not have: "
            + ", ".join(repr(n) for n in missing)
            + ". Add them to the project (same spelling) or use another model.",
        )
    try:
        theirs = ClipSettings.from_dict(manifest["clip_settings"])
    except (ValueError, TypeError) as exc:
        raise ModelBundleError(path, f"the model's clip settings cannot be used ({exc})") from exc
    if theirs.fingerprint() != clip_settings.fingerprint():
        ours = clip_settings.to_dict()
        diffs = [
            f"{key} {value!r} (project: {ours.get(key)!r})"
            for key, value in theirs.to_dict().items()
            if ours.get(key) != value
        ]
        raise ModelBundleError(
            path,
            "this model was trained on clip images made with other settings: "
            + "; ".join(diffs)
            + ". Its scores would be meaningless here; retrain it on this project.",
        )
