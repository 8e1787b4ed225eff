"""Scoring recordings: clip-long windows with a configurable hop, one score per class each.

Inside a project the windows' backbone features come from the feature cache (so a new head
re-scores an hour of audio in well under a second) and the scores are stored in the project.
Outside a project (``sonotag predict``) files are scored straight from their audio by the
``model.ml.scoring`` engine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from model.clips import window_starts
from model.clips.geometry import DEFAULT_HOP_SECONDS, geometry_of
from model.errors import ProjectError
from model.jobs import Reporter
from model.ml.backbones import Backbone, from_manifest
from model.ml.bundle import KIND_FINE_TUNED, Bundle, check_compatible, load_bundle
from model.ml.features import FeatureSource, clip_settings_of
from model.project.records import Recording

DEFAULT_HOP = DEFAULT_HOP_SECONDS  # outside projects (``sonotag predict``)
SCORE_WINDOWS = 4096  # windows whose features are in memory at once while scoring
IMAGE_WINDOWS = 256  # clip images in memory at once (fine-tuned models)


class Scorer:
    """A loaded bundle plus (lazily) the backbone it needs; reusable across recordings."""

    def __init__(
        self,
        bundle: Bundle,
        *,
        extractor: Backbone | None = None,
        batch_size: int | None = None,
        allow_download: bool = True,
    ) -> None:
        self.bundle = bundle
        self.settings = bundle.clip_settings
        self.extractor = extractor or from_manifest(
            bundle.backbone, batch_size=batch_size, allow_download=allow_download
        )

    @property
    def fine_tuned(self) -> bool:
        return self.bundle.kind == KIND_FINE_TUNED

    @property
    def engine_text(self) -> str:
        """What computes the scores, for people: the backbone's engine (a fine-tuned model
        runs whole in Keras)."""
        if self.fine_tuned:
            return "Keras (fine-tuned network)"
        return self.extractor.device.description

    def scores_from_features(self, features: np.ndarray) -> np.ndarray:
        """The head in NumPy (``model.ml.numpy_head``): no TensorFlow for scoring."""
        if len(features) == 0:
            return np.empty((0, len(self.bundle.class_names)), np.float32)
        return np.asarray(self.bundle.head(features), np.float32)

    def scores_from_inputs(
        self, inputs: np.ndarray, reporter: Reporter | None = None
    ) -> np.ndarray:
        """Scores from what the backbone reads (clip images for ResNet50, audio for BirdNET)."""
        if not self.fine_tuned:
            return self.scores_from_features(self.extractor.embed(inputs, reporter))
        images = inputs
        from model.ml.finetune import predict_images

        return predict_images(self.bundle.model, images, self.extractor.batch_size, reporter)


def _project_windows(recording: Recording, clip_seconds: float, hop: float) -> np.ndarray:
    starts = window_starts(recording.duration, clip_seconds, hop)
    from model.audio import AudioFile
    from model.errors import AudioError

    try:
        with AudioFile(recording.path) as audio:
            damage = audio.damage()
    except AudioError:
        return starts  # unreadable: the feature source reports it with its cause
    return starts[damage.usable(starts, clip_seconds)] if damage else starts


def class_ids_for(bundle: Bundle, project: Any) -> list[int]:
    by_name = {c.name: c.id for c in project.classes()}
    return [by_name[name] for name in bundle.class_names]


def score_recordings(
    project: Any,
    scorer: Scorer,
    model_id: int,
    recordings: Sequence[Recording],
    *,
    hop: float = DEFAULT_HOP,
    reporter: Reporter | None = None,
    source: FeatureSource | None = None,
) -> dict[str, Any]:
    """Scores and stores every recording; unreadable ones are listed, not fatal.

    Works through ``SCORE_WINDOWS`` windows at a time (pieces of long recordings, or several
    short ones together so the backbone still gets full batches) and stores each recording's
    scores as soon as it is done: memory depends on neither the project's size nor on how long
    a recording is.
    """
    started = time.monotonic()
    settings = scorer.settings
    check_compatible(
        scorer.bundle.manifest, project.classes(), clip_settings_of(project), scorer.bundle.path
    )
    class_ids = class_ids_for(scorer.bundle, project)
    skipped: list[str] = []
    counted = [0]

    def windows(recording: Recording) -> np.ndarray:
        """Called once per recording, as it comes up (it may read the file's damage map)."""
        starts = _project_windows(recording, settings.clip_seconds, hop)
        if not len(starts):
            skipped.append(f"{recording.path.name}: no window without NaN/infinite samples")
        counted[0] += len(starts)
        return starts

    def estimate(recording: Recording) -> np.ndarray:
        return window_starts(recording.duration, settings.clip_seconds, hop)

    if scorer.fine_tuned:
        total = sum(len(estimate(r)) for r in recordings)
        scored = _score_images(
            project, scorer, model_id, class_ids, recordings, windows, total, reporter, skipped
        )
    else:
        source = source or FeatureSource(project, settings, scorer.extractor)
        source.plan(
            ((r, estimate(r)) for r in recordings), reporter, "features of windows to score"
        )
        scored = 0
        for recording, starts, scores in _scores_from_features(
            source, scorer, recordings, windows, reporter
        ):
            project.put_predictions(model_id, recording.id, starts, class_ids, scores)
            scored += 1
        skipped += source.stats.missing_recordings
    return {
        "recordings_scored": scored,
        "windows": int(counted[0]),
        "skipped": skipped,
        "hop": hop,
        "seconds": round(time.monotonic() - started, 3),
    }


def _pieces(
    recordings: Sequence[Recording], windows: Callable[[Recording], np.ndarray], size: int
) -> Iterator[list[tuple[Recording, np.ndarray, np.ndarray | None]]]:
    """Groups of about ``size`` windows: (recording, a piece of its window starts, all its
    window starts with its last piece, else None). Recordings with no window are left out."""
    group: list[tuple[Recording, np.ndarray, np.ndarray | None]] = []
    count = 0
    for recording in recordings:
        starts = windows(recording)
        for begin in range(0, len(starts), size):
            last = begin + size >= len(starts)
            group.append((recording, starts[begin : begin + size], starts if last else None))
            count += min(size, len(starts) - begin)
            if count >= size:
                yield group
                group, count = [], 0
    if group:
        yield group


def _scores_from_features(
    source: FeatureSource,
    scorer: Scorer,
    recordings: Sequence[Recording],
    windows: Callable[[Recording], np.ndarray],
    reporter: Reporter | None,
) -> Iterator[tuple[Recording, np.ndarray, np.ndarray]]:
    """(recording, window starts, scores) for each recording whose features could be had."""
    parts: dict[int, list[np.ndarray]] = {}
    failed: set[int] = set()
    for group in _pieces(recordings, windows, SCORE_WINDOWS):
        group = [item for item in group if item[0].id not in failed]  # read once, fail once
        vectors = source.features(
            [(recording, piece) for recording, piece, _ in group],
            reporter,
            "features of windows to score",
        )
        for (recording, _, everything), features in zip(group, vectors, strict=True):
            if features is None:
                failed.add(recording.id)
                parts.pop(recording.id, None)
            elif recording.id not in failed:
                parts.setdefault(recording.id, []).append(scorer.scores_from_features(features))
            if everything is not None:
                scores = parts.pop(recording.id, [])
                if recording.id not in failed:
                    yield recording, everything, np.concatenate(scores)


def _score_images(
    project: Any,
    scorer: Scorer,
    model_id: int,
    class_ids: list[int],
    recordings: Sequence[Recording],
    windows: Callable[[Recording], np.ndarray],
    total: int,
    reporter: Reporter | None,
    skipped: list[str],
) -> int:
    """A fine-tuned model scores clip images: drawn ``IMAGE_WINDOWS`` at a time (224x224x3
    each: a long recording's images would not fit in memory at once). Returns how many
    recordings were scored; unreadable ones go to ``skipped``."""
    from model.audio import AudioFile
    from model.clips import clip_images
    from model.errors import AudioError

    scored = done = 0
    for recording in recordings:
        parts = []
        try:
            starts = windows(recording)
            if not len(starts):
                continue
            with AudioFile(recording.path) as audio:
                for begin in range(0, len(starts), IMAGE_WINDOWS):
                    piece = starts[begin : begin + IMAGE_WINDOWS]
                    images = clip_images(audio, piece, scorer.settings)
                    parts.append(scorer.scores_from_inputs(images, reporter))
                    done += len(piece)
                    if reporter is not None:
                        reporter.update(done, total, "scoring recordings", stage="scoring")
        except AudioError as exc:
            skipped.append(f"{recording.path.name}: {exc.cause}")
            continue
        project.put_predictions(model_id, recording.id, starts, class_ids, np.concatenate(parts))
        scored += 1
    return scored


def predict_job(
    reporter: Reporter,
    project_path: str,
    model_id: int | None = None,
    recording_ids: Sequence[int] | None = None,
    hop: float | None = None,
    allow_download: bool = True,
) -> dict[str, Any]:
    """Job: score recordings of a project with one of its models (the active one by default),
    in the order given (the GUI puts the recording on screen first; None: project order).

    After each recording a progress report carries ``scored_recording`` (its id), so the GUI
    draws that recording's scores while the job goes on with the next.
    """
    from model.project import Project

    project = Project.open(project_path)
    try:
        hop = geometry_of(project).hop_seconds if hop is None else hop
        record = project.model(model_id) if model_id is not None else project.active_model()
        if record is None:
            raise ProjectError(project.path, "has no trained model yet; train one first")
        by_id = {r.id: r for r in project.recordings()}
        wanted = list(by_id) if recording_ids is None else recording_ids
        order = [by_id[i] for i in dict.fromkeys(wanted) if i in by_id]
        reporter.update(0, len(order), f"loading model {record.name}", stage="loading")
        scorer = Scorer(load_bundle(record.file), allow_download=allow_download)
        engine = scorer.engine_text
        source = FeatureSource(project, scorer.settings, scorer.extractor)
        scored: list[int] = []
        skipped: list[str] = []
        windows = 0
        for number, recording in enumerate(order):
            reporter.update(
                number,
                len(order),
                f"scoring {recording.path.name} ({number + 1} of {len(order)})",
                stage="scoring",
                recording_id=recording.id,
                engine=engine,
            )
            result = score_recordings(
                project, scorer, record.id, [recording], hop=hop, reporter=reporter, source=source
            )
            windows += int(result["windows"])
            skipped += [text for text in result["skipped"] if text not in skipped]
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
            "recordings_scored": len(scored),
            "windows": windows,
            "skipped": skipped,
            "hop": hop,
            "engine": engine,
        }
    finally:
        project.close()


def load_for_project(path: str | Path, project: Any) -> Bundle:
    """Loads a bundle and refuses it, with the reason, if it does not fit the project."""
    bundle = load_bundle(path)
    check_compatible(bundle.manifest, project.classes(), clip_settings_of(project), path)
    return bundle
