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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from model.clips import ClipSettings
from model.errors import ModelBundleError
from model.ml.backbone import FEATURES, INPUT_SHAPE
from model.ml.manifest import (
    FORMAT,
    FORMAT_VERSION,
    KIND_FINE_TUNED,
    KIND_HEAD,
    Manifest,
    validate_manifest,
)

SUFFIX = ".sonotag-model"
MANIFEST = "manifest.json"
LICENCE_FILE = "LICENCE-BACKBONE.txt"
HEAD_FILE = "head.keras"  # head on cached backbone features
FULL_FILE = "model.keras"  # fine-tuned: backbone + head on clip images
#: Every name a bundle may hold; anything else (``../x``, absolute paths) refuses the bundle.
ENTRIES = frozenset({MANIFEST, HEAD_FILE, FULL_FILE, LICENCE_FILE})
MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # PR curves of many classes; far below any real limit
MAX_MODEL_BYTES = 4 * 1024**3  # a fine-tuned ResNet50 is about 100 MB

__all__ = ["FORMAT", "FORMAT_VERSION", "KIND_FINE_TUNED", "KIND_HEAD", "Bundle", "SUFFIX"]


class Bundle:
    """A loaded model file. Scoring features needs only ``head`` (NumPy, no TensorFlow);
    ``model``, the Keras network, is loaded on first use (fine-tuned models, retraining)."""

    def __init__(
        self, path: Path, manifest: dict[str, Any], model: Any = None, head: Any = None
    ) -> None:
        self.path = Path(path)
        self.manifest = manifest
        self.info: Manifest = validate_manifest(manifest, self.path)
        self._model = model
        self._head = head

    @property
    def model(self) -> Any:
        """The Keras model (``keras.Model``); loading it imports the Keras backend."""
        if self._model is None:
            self._model = _load_keras(self.path, self.manifest)
            _check_shapes(self.path, self.kind, self.manifest, self.class_names, self._model)
        return self._model

    @property
    def head(self) -> Any:
        """features (N, dim) -> scores (N, classes): in NumPy where the head is one Sonotag
        trains, else through Keras. Only for head bundles (fine-tuned ones take images)."""
        if self._head is None:
            model = self.model
            from model.ml.head import predict_scores

            self._head = lambda features: predict_scores(model, features)
        return self._head

    @property
    def kind(self) -> str:
        return self.info.kind

    @property
    def class_names(self) -> list[str]:
        return self.info.class_names

    @property
    def clip_settings(self) -> ClipSettings:
        return self.info.settings

    @property
    def backbone(self) -> dict[str, Any]:
        """The manifest's backbone entry; ``model.ml.backbones.from_manifest`` rebuilds it."""
        return dict(self.manifest["backbone"])

    @property
    def backbone_name(self) -> str:
        from model.ml.backbones import name_of_manifest

        return name_of_manifest(self.backbone)

    @property
    def untrained_backbone(self) -> bool:
        return bool(self.manifest.get("untrained_backbone"))


def library_versions() -> dict[str, str]:
    import keras
    import numpy

    from model import __version__
    from model.ml import backends

    backend = backends.name()
    return {
        "sonotag": __version__,
        "python": platform.python_version(),
        "backend": backend,
        backend: backends.current().version(),
        "keras": keras.__version__,
        "numpy": numpy.__version__,
        "platform": f"{sys.platform}-{platform.machine()}",
    }


def make_manifest(
    *,
    kind: str,
    class_names: Sequence[str],
    clip_settings: ClipSettings,
    backbone: dict[str, Any],
    label_counts: dict[str, dict[str, int]],
    metrics: dict[str, Any],
    training: dict[str, Any],
) -> dict[str, Any]:
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "classes": [{"name": name, "index": i} for i, name in enumerate(class_names)],
        "clip_settings": clip_settings.to_dict(),
        "clip_settings_fingerprint": clip_settings.fingerprint(),
        "backbone": backbone,
        "untrained_backbone": bool(backbone.get("flagged")),
        # The backbone's licence travels with every model made on it (BirdNET's is
        # non-commercial); LICENCE-BACKBONE.txt in the bundle says the same.
        "licence": {
            "backbone": backbone.get("licence", ""),
            "url": backbone.get("licence_url", ""),
            "notice": backbone.get("licence_notice", ""),
        },
        "label_counts": label_counts,
        "metrics": metrics,
        "training": training,
        "versions": library_versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    validate_manifest(manifest)  # never write a bundle that would be refused when loaded
    return manifest


def save_bundle(
    path: str | Path, model: Any, manifest: dict[str, Any], scratch: Path | None = None
) -> Path:
    """Writes atomically (temp file, then rename) so a crash never leaves half a bundle.

    ``scratch`` is where the Keras file is written first (default: the system's temp folder);
    a project's trainings pass their staging folder, so a killed worker leaves nothing outside
    it (``bundle_commit``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    inner = FULL_FILE if manifest["kind"] == KIND_FINE_TUNED else HEAD_FILE
    partial = path.with_name(path.name + ".part")
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix="sonotag-bundle-", dir=scratch) as tmp:
            keras_file = Path(tmp) / inner
            model.save(keras_file)
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(MANIFEST, json.dumps(manifest, indent=1, allow_nan=False))
                notice = (manifest.get("licence") or {}).get("notice")
                if notice:
                    archive.writestr(LICENCE_FILE, _licence_text(manifest))
                # The .keras file is itself a zip of float weights: deflating it again costs
                # seconds for a fine-tuned model and saves almost nothing.
                archive.write(keras_file, inner, compress_type=zipfile.ZIP_STORED)
        partial.replace(path)
    except OSError as exc:
        raise ModelBundleError(path, f"cannot write the model file: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return path


def replace_metrics(path: str | Path, metrics: dict[str, Any]) -> Path:
    """Rewrites a bundle with new held-out figures in its manifest, the rest copied byte for
    byte (no Keras): the figures are measured after the model is saved and in use. Atomic
    like ``save_bundle``; the manifest is validated before anything is written."""
    path = Path(path)
    manifest = {**read_manifest(path), "metrics": metrics}
    validate_manifest(manifest, path)
    try:
        text = json.dumps(manifest, indent=1, allow_nan=False)
    except ValueError as exc:  # NaN or infinity: JSON cannot hold it, the loader would refuse
        raise ModelBundleError(path, f"the new figures cannot be stored: {exc}") from exc
    partial = path.with_name(path.name + ".part")
    try:
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(partial, "w") as target:
            for info in source.infolist():
                if info.filename == MANIFEST:
                    target.writestr(MANIFEST, text, compress_type=zipfile.ZIP_DEFLATED)
                    continue
                with source.open(info) as member, target.open(info, "w") as out:
                    while chunk := member.read(1 << 20):
                        out.write(chunk)
        partial.replace(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelBundleError(path, f"cannot rewrite the model file: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return path


def _licence_text(manifest: dict[str, Any]) -> str:
    licence = manifest.get("licence") or {}
    backbone = manifest.get("backbone") or {}
    return (
        f"This model was trained on features of the backbone {backbone.get('title', '')} "
        f"({backbone.get('name', '')}).\n\n{licence.get('notice', '')}\n\n"
        f"Licence: {licence.get('backbone', '')}\n{licence.get('url', '')}\n"
    )


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest alone (quick: no TensorFlow), checked against the schema in
    ``model.ml.manifest`` so a bad field is named before any work starts."""
    path = Path(path)
    if not path.is_file():
        raise ModelBundleError(path, "no such model file")
    try:
        with zipfile.ZipFile(path) as archive:
            _check_entries(path, archive)
            if archive.getinfo(MANIFEST).file_size > MAX_MANIFEST_BYTES:
                raise ModelBundleError(path, "the model file's manifest is implausibly large")
            manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelBundleError(path, f"not a Sonotag model file ({exc})") from exc
    except OSError as exc:
        raise ModelBundleError(path, f"the model file cannot be read ({exc})") from exc
    validate_manifest(manifest, path)
    return manifest


def _check_entries(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuses names a bundle never holds: a crafted ``../../x`` entry must not even be read."""
    for name in archive.namelist():
        if name not in ENTRIES:
            raise ModelBundleError(
                path,
                f"not a Sonotag model file: it holds an unexpected entry {name!r} "
                f"(a model file holds only {', '.join(sorted(ENTRIES))})",
            )


def _copy_member(archive: zipfile.ZipFile, name: str, target: Path) -> None:
    """Streams one entry to a file we name (never a path taken from the archive), stopping at
    ``MAX_MODEL_BYTES`` so a zip bomb cannot fill the disk."""
    copied = 0
    with archive.open(name) as source, target.open("wb") as sink:
        while chunk := source.read(1 << 20):
            copied += len(chunk)
            if copied > MAX_MODEL_BYTES:
                raise ValueError(f"{name} unpacks to more than {MAX_MODEL_BYTES} bytes")
            sink.write(chunk)


def load_bundle(path: str | Path) -> Bundle:
    """Reads and checks a model file. A head bundle's head is read in NumPy (no TensorFlow);
    a fine-tuned bundle's Keras network is loaded now, since scoring needs it."""
    path = Path(path)
    manifest = read_manifest(path)
    if manifest["kind"] == KIND_FINE_TUNED:
        return Bundle(path, manifest, _load_keras(path, manifest))
    from model.ml.numpy_head import read_head

    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(HEAD_FILE)
            if info.file_size > MAX_MODEL_BYTES:
                raise ValueError(f"{HEAD_FILE} unpacks to more than {MAX_MODEL_BYTES} bytes")
            head = read_head(archive.read(info))
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, TypeError) as exc:
        raise ModelBundleError(path, f"the model inside the file cannot be read ({exc})") from exc
    bundle = Bundle(path, manifest, head=head)
    if head is None:  # a head this Sonotag cannot apply in NumPy: Keras it is
        bundle.model  # noqa: B018 - loads and checks it now, not half-way through scoring
    else:
        shapes = ((None, head.input_dim), (None, head.output_dim))
        _check_shapes(path, bundle.kind, manifest, bundle.class_names, shapes)
    return bundle


def _load_keras(path: Path, manifest: dict[str, Any]) -> Any:
    inner = FULL_FILE if manifest["kind"] == KIND_FINE_TUNED else HEAD_FILE
    import keras

    try:
        with tempfile.TemporaryDirectory(prefix="sonotag-bundle-", ignore_cleanup_errors=True) as t:
            target = Path(t) / inner
            with zipfile.ZipFile(path) as archive:
                _copy_member(archive, inner, target)
            model = keras.saving.load_model(target, compile=False, safe_mode=True)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, TypeError) as exc:
        raise ModelBundleError(path, f"the model inside the file cannot be read ({exc})") from exc
    _check_shapes(path, manifest["kind"], manifest, _class_names(manifest), model)
    return model


def _class_names(manifest: dict[str, Any]) -> list[str]:
    return [c["name"] for c in manifest["classes"]]


def _check_shapes(
    path: Path, kind: str, manifest: dict[str, Any], class_names: Sequence[str], model: Any
) -> None:
    """The network must take what its kind is fed and give one score per listed class.
    ``model``: a Keras model, or (input shape, output shape) of a NumPy head."""
    input_shape, output_shape = (
        model if isinstance(model, tuple) else (model.input_shape, model.output_shape)
    )
    outputs = output_shape[-1]
    if outputs != len(class_names):
        raise ModelBundleError(
            path,
            f"the model file's manifest is invalid: field 'classes' lists "
            f"{len(class_names)} classes but the model gives {outputs} scores",
        )
    dim = manifest["backbone"].get("dim") or FEATURES
    expected = INPUT_SHAPE if kind == KIND_FINE_TUNED else (int(dim),)
    given = tuple(input_shape[1:])
    if given != tuple(expected):
        raise ModelBundleError(
            path,
            f"the model file is damaged: a {kind!r} model takes inputs of shape "
            f"{tuple(expected)}, this one {given}",
        )


def check_compatible(
    manifest: dict[str, Any],
    project_classes: Sequence[Any],
    clip_settings: ClipSettings,
    path: str | Path | None = None,
) -> None:
    """Raises ModelBundleError naming what does not fit; extra project classes are fine (the
    model simply has no scores for them), missing ones and other clip settings are not."""
    names = {getattr(c, "name", c) for c in project_classes}
    try:
        known = [str(c["name"]) for c in manifest["classes"]]
    except (KeyError, TypeError) as exc:  # a manifest stored incomplete: refused, not a crash
        raise ModelBundleError(path, f"the model's description lists no classes ({exc!r})") from exc
    missing = [name for name in known if name not in names]
    if missing:
        raise ModelBundleError(
            path,
            "this model knows classes the project does not have: "
            + ", ".join(repr(n) for n in missing)
            + ". Add them to the project (same spelling) or use another model.",
        )
    try:
        theirs = ClipSettings.from_dict(manifest["clip_settings"])
    except (KeyError, ValueError, TypeError) as exc:
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
