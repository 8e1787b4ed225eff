"""Job functions the ML panels run off the GUI thread; no Qt here, so a worker process stays lean.

They are thin: the logic lives in ``model.ml``. What they add is the order and the reports the
GUI needs, e.g. scoring recordings one by one in the order asked for (the one on screen first)
and saying after each which recording now has scores, so its track appears without waiting for
the rest of the project.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from model.errors import ProjectError
from model.jobs import Reporter


def predict_recordings_job(
    reporter: Reporter,
    project_path: str,
    recording_ids: Sequence[int],
    model_id: int | None = None,
    hop: float = 1.0,
    allow_download: bool = True,
) -> dict[str, Any]:
    """Scores ``recording_ids`` in the given order with one model (the active one by default).

    After each recording a progress report carries ``scored_recording`` (its id), so the GUI
    can draw that recording's scores while the job goes on with the next.
    """
    from model.ml.bundle import load_bundle
    from model.ml.features import FeatureSource
    from model.ml.predict import Scorer, score_recordings
    from model.project import Project

    project = Project.open(project_path)
    try:
        record = project.model(model_id) if model_id is not None else project.active_model()
        if record is None:
            raise ProjectError(project.path, "has no trained model yet; train one first")
        reporter.update(0, len(recording_ids), f"loading model {record.name}", stage="loading")
        scorer = Scorer(load_bundle(record.file), allow_download=allow_download)
        source = FeatureSource(project, scorer.settings, scorer.extractor)
        by_id = {r.id: r for r in project.recordings()}
        order = [by_id[i] for i in dict.fromkeys(recording_ids) if i in by_id]
        scored: list[int] = []
        windows = 0
        for number, recording in enumerate(order):
            reporter.update(
                number,
                len(order),
                f"scoring {recording.path.name} ({number + 1} of {len(order)})",
                stage="scoring",
                recording_id=recording.id,
            )
            result = score_recordings(
                project, scorer, record.id, [recording], hop=hop, reporter=reporter, source=source
            )
            windows += int(result["windows"])
            if result["recordings_scored"]:
                scored.append(recording.id)
                reporter.update(
                    number + 1,
                    len(order),
                    f"scored {recording.path.name}",
                    stage="scoring",
                    scored_recording=recording.id,
                    model_id=record.id,
                )
        return {
            "model_id": record.id,
            "scored": scored,
            "windows": windows,
            "skipped": list(source.stats.missing_recordings),
            "hop": hop,
        }
    finally:
        project.close()


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
