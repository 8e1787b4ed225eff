"""The ImageNet weights of ResNet50: find them in Keras' cache, download them, or import a file.

Field stations often have no internet, so the weights must be installable from a file someone
carried on a USB stick. Whatever the route, the file ends in Keras' own cache (where
``keras.applications.ResNet50(weights="imagenet")`` looks too) and is checked against the MD5
hash Keras publishes, so a truncated or wrong file is never used silently.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from model.errors import ModelBundleError
from model.jobs import Reporter

FILE_NAME = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
URL = BASE_URL + FILE_NAME
# From keras/src/applications/resnet.py, WEIGHTS_HASHES["resnet50"][1] (the "notop" file).
MD5 = "4d473c1dd8becc155b73f8504c6f6626"
SIZE_TEXT = "about 95 MB"
CACHE_SUBDIR = "models"
_CHUNK = 1 << 20


class WeightsMissingError(ModelBundleError):
    """The ImageNet weights are not on this computer and could not be downloaded.

    A separate class so the GUI can offer "Import weights file..." right in the error dialog.
    """


def expected_md5() -> str:
    """Indirection so tests can check the whole import/load path with a small fake file."""
    return MD5


def file_md5(path: str | Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def keras_cache_dir() -> Path:
    """The folder Keras' ``get_file`` uses for ``cache_subdir="models"``, by Keras' own rule
    (``$KERAS_HOME``, else ``~/.keras``; ``/tmp/.keras`` when that is not writable) but without
    importing Keras: the GUI asks for it in a status line, and Keras means TensorFlow. Where
    Keras is already loaded (workers, CLI) its own setting is asked, as ``get_file`` will."""
    keras_config = sys.modules.get("keras.src.backend.config")
    home = os.environ.get("KERAS_HOME") or (keras_config and keras_config.keras_home())
    if not home:
        base = os.path.expanduser("~")
        if not os.access(base, os.W_OK):
            base = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()
        home = os.path.join(base, ".keras")
    home = os.path.expanduser(home)
    if os.path.isdir(home) and not os.access(home, os.W_OK):  # get_file's own fallback
        home = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    return Path(home) / CACHE_SUBDIR


def cached_weights_path() -> Path:
    return keras_cache_dir() / FILE_NAME


def find_weights() -> Path | None:
    """The cached weights file if present and intact (hash checked), else None."""
    path = cached_weights_path()
    if path.is_file() and file_md5(path) == expected_md5():
        return path
    return None


def _offline_message(reason: str) -> str:
    return (
        f"the ImageNet weights for ResNet50 are not on this computer and could not be "
        f"downloaded ({reason}). Connect to the internet and try again, or import the file "
        f"'{FILE_NAME}' ({SIZE_TEXT}, from {URL}) with 'Import weights file...' or "
        f"'sonotag weights import FILE'; or train with the untrained backbone (for testing only)."
    )


def _download(url: str, target: Path, reporter: Reporter | None) -> None:
    """Streams ``url`` to ``target`` in chunks so the user sees progress and can cancel."""
    partial = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=30) as response, open(partial, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            done = 0
            while block := response.read(_CHUNK):
                out.write(block)
                done += len(block)
                if reporter is not None:
                    reporter.update(done, total, "downloading the ImageNet weights of ResNet50")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def ensure_weights(reporter: Reporter | None = None, *, download: bool = True) -> Path:
    """The path of verified weights in Keras' cache, downloading them when allowed.

    Raises ``WeightsMissingError`` with instructions when offline, or when the download arrived
    damaged (wrong hash).
    """
    found = find_weights()
    if found is not None:
        return found
    target = cached_weights_path()
    if not download:
        raise WeightsMissingError(target, _offline_message("downloads are switched off"))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        _download(URL, target, reporter)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise WeightsMissingError(target, _offline_message(f"no connection: {reason}")) from exc
    if file_md5(target) != expected_md5():
        target.unlink(missing_ok=True)
        raise WeightsMissingError(target, _offline_message("the download arrived damaged"))
    return _through_keras(target)


def _through_keras(path: Path) -> Path:
    """Lets Keras' ``get_file`` confirm the cached file (it re-checks the hash, downloads
    nothing because the file is present) so we and ``ResNet50(weights="imagenet")`` agree."""
    from keras.utils import get_file

    try:
        found = get_file(
            FILE_NAME,
            URL,
            cache_subdir=str(path.parent),
            file_hash=expected_md5(),
            hash_algorithm="md5",
        )
    except Exception as exc:  # noqa: BLE001 - any failure here means the cache is unusable
        raise WeightsMissingError(path, _offline_message(str(exc))) from exc
    return Path(found)


def import_weights(source: str | Path) -> Path:
    """Checks a weights file the user picked and copies it into Keras' cache.

    The hash is checked before copying, so a wrong file (the "with top" variant, a different
    network, a partial download) is refused with a message naming it.
    """
    source = Path(source)
    if not source.is_file():
        raise ModelBundleError(source, "no such file")
    actual = file_md5(source)
    if actual != expected_md5():
        raise ModelBundleError(
            source,
            f"this is not the ResNet50 ImageNet weights file Sonotag needs ('{FILE_NAME}'): "
            f"its MD5 checksum is {actual}, expected {expected_md5()}. The file may be "
            "incomplete, or it is another variant (the one 'with top' does not fit).",
        )
    target = cached_weights_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.resolve() != target.resolve():
        partial = target.with_name(target.name + ".part")
        try:
            shutil.copyfile(source, partial)
            partial.replace(target)
        except OSError as exc:
            raise ModelBundleError(target, f"cannot copy the weights here: {exc}") from exc
        finally:
            partial.unlink(missing_ok=True)
    return _through_keras(target)
