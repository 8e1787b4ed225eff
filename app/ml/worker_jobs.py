"""Job functions the ML panels run off the GUI thread; no Qt here, so a worker process stays lean.

They are thin: the logic lives in ``model.ml`` (scoring is ``model.ml.predict.predict_job``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from model.jobs import Reporter


def weights_cache_path() -> Path:
    """Where Keras keeps the ResNet50 weights (found without importing Keras)."""
    from model.ml import weights

    return weights.cached_weights_path()


def check_weights_job(reporter: Reporter) -> dict[str, Any]:
    """Thread job: is the ImageNet weights file in Keras' cache, and intact (checksum)?"""
    from model.ml import weights

    path = weights_cache_path()
    reporter.update(0, None, "checking the ImageNet weights")
    if not path.is_file():
        return {"path": str(path), "state": "missing"}
    state = "ok" if weights.file_md5(path) == weights.expected_md5() else "damaged"
    return {"path": str(path), "state": state}


def import_weights_job(reporter: Reporter, source: str) -> str:
    """Process job: checks the chosen file against the known hash and copies it into the cache."""
    from model.ml import weights

    reporter.update(0, None, f"checking {Path(source).name}")
    return str(weights.import_weights(source))


def download_weights_job(reporter: Reporter) -> str:
    """Process job: downloads the weights into Keras' cache with byte progress."""
    from model.ml import weights

    return str(weights.ensure_weights(reporter, download=True))
