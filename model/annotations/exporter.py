"""Exporting a project's labels, or its model's detections, as Raven, Audacity or CSV files.

Labels are two-second clips, written one row per clip and class. Predictions are written where
a class's score reaches its threshold; with ``merge_adjacent`` a run of overlapping or touching
windows above threshold becomes one row (scored by its best window), as a person would draw it.

``per_recording=True`` writes one file per recording into the folder ``out`` (named after the
recording: ``x.Table.1.selections.txt`` as Raven names its tables, ``x.txt``, ``x.csv``);
``False`` writes one file ``out``: a multi-file Raven table or a CSV with a file column.
Audacity label tracks hold one recording each, so they are always written per recording.
Raven rows get the full band (0 Hz to half the sample rate) since clips have no band of their
own; Audacity files then have no frequency lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from model.annotations.audacity import write_audacity
from model.annotations.csv_table import write_csv_table
from model.annotations.raven import write_raven
from model.annotations.records import Annotation
from model.errors import AnnotationFormatError, ProjectError
from model.project.records import LabelState, ModelRecord, Recording

if TYPE_CHECKING:
    from model.project import Project

Format = Literal["raven", "audacity", "csv"]
FORMATS: tuple[str, ...] = ("raven", "audacity", "csv")
_SUFFIX = {"raven": ".Table.1.selections.txt", "audacity": ".txt", "csv": ".csv"}


def export_labels(
    project: Project,
    out: str | Path,
    fmt: Format,
    *,
    per_recording: bool = True,
    states: Iterable[LabelState | str] = (LabelState.PRESENT,),
) -> list[Path]:
    """Writes the labels in ``states``; returns the files written (recordings with labels)."""
    wanted = {LabelState(s) for s in states}
    names = {c.id: c.name for c in project.classes()}
    show_state = wanted != {LabelState.PRESENT}
    by_recording: dict[int, list[Annotation]] = {}
    recordings = {r.id: r for r in project.recordings()}
    for label in project.labels():
        if label.state not in wanted:
            continue
        rec = recordings[label.recording_id]
        by_recording.setdefault(rec.id, []).append(
            Annotation(
                file=rec.path,
                start=label.start,
                end=label.end,
                label=names.get(label.class_id, f"class {label.class_id}"),
                state=label.state.value if show_state else None,
            )
        )
    chosen = [r for r in recordings.values() if r.id in by_recording]
    return _write(out, fmt, chosen, by_recording, per_recording)


def export_predictions(
    project: Project,
    out: str | Path,
    fmt: Format,
    *,
    threshold: float | Mapping[str, float] = 0.5,
    merge_adjacent: bool = True,
    per_recording: bool = True,
    model_id: int | None = None,
) -> list[Path]:
    """Writes detections of the active (or given) model; ``threshold`` may be per class name.

    Every recording the model scored gets a file, even with nothing above threshold: an empty
    table says "analysed, nothing found", which a missing one does not. Classes missing from a
    per-class threshold mapping use 0.5.
    """
    model = _model(project, model_id)
    clip = model.clip_seconds
    names = {c.id: c.name for c in project.classes()}
    by_recording: dict[int, list[Annotation]] = {}
    chosen: list[Recording] = []
    for rec in project.recordings():
        starts, class_ids, scores = project.predictions(model.id, rec.id)
        if len(class_ids) == 0:
            continue
        chosen.append(rec)
        rows: list[Annotation] = []
        for j, class_id in enumerate(class_ids):
            name = names.get(class_id, f"class {class_id}")
            limit = _threshold_for(threshold, name)
            for start, end, score in detections(starts, scores[:, j], limit, clip, merge_adjacent):
                rows.append(Annotation(rec.path, start, end, label=name, score=score))
        by_recording[rec.id] = rows
    return _write(out, fmt, chosen, by_recording, per_recording)


def detections(
    starts: np.ndarray, scores: np.ndarray, threshold: float, clip: float, merge: bool
) -> list[tuple[float, float, float]]:
    """(start, end, best score) of windows scoring at least ``threshold``, merged if asked."""
    out: list[tuple[float, float, float]] = []
    for i in np.flatnonzero(scores >= threshold):
        start, score = float(starts[i]), float(scores[i])
        end = start + clip
        if merge and out and start <= out[-1][1] + 1e-6:
            s0, e0, best = out[-1]
            out[-1] = (s0, max(e0, end), max(best, score))
        else:
            out.append((start, end, score))
    return out


def _threshold_for(threshold: float | Mapping[str, float], name: str) -> float:
    if isinstance(threshold, Mapping):
        return float(threshold.get(name, 0.5))
    return float(threshold)


def _model(project: Project, model_id: int | None) -> ModelRecord:
    model = project.active_model() if model_id is None else project.model(model_id)
    if model is None:
        raise ProjectError(project.path, "has no trained model whose detections could be exported")
    return model


def _write(
    out: str | Path,
    fmt: str,
    recordings: Sequence[Recording],
    rows: Mapping[int, list[Annotation]],
    per_recording: bool,
) -> list[Path]:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (expected one of {', '.join(FORMATS)})")
    out = Path(out)
    if not per_recording and fmt != "audacity":
        everything = [a for rec in recordings for a in _ready(fmt, rec, rows[rec.id])]
        if fmt == "raven":
            durations = {rec.path: rec.duration for rec in recordings}
            write_raven(out, everything, file_durations=durations)
        else:
            write_csv_table(out, everything)
        return [out]
    if out.exists() and not out.is_dir():
        raise AnnotationFormatError(out, "is a file; one file per recording needs a folder")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for rec, name in zip(recordings, _file_names(recordings), strict=True):
        target = out / (name + _SUFFIX[fmt])
        _WRITERS[fmt](target, _ready(fmt, rec, rows[rec.id]))
        written.append(target)
    return written


def _ready(fmt: str, rec: Recording, rows: list[Annotation]) -> list[Annotation]:
    """Format-specific touches: Raven gets the full band; Audacity shows the state in the text."""
    if fmt == "raven":
        return [replace(a, low_hz=0.0, high_hz=rec.sample_rate / 2) for a in rows]
    if fmt == "audacity":
        return [replace(a, label=f"{a.label} ({a.state})") if a.state else a for a in rows]
    return rows


def _file_names(recordings: Sequence[Recording]) -> list[str]:
    """Recording names without extension; a name used twice gets the recording number added."""
    stems = [r.path.stem for r in recordings]
    counts = {s.lower(): 0 for s in stems}
    for s in stems:
        counts[s.lower()] += 1
    return [
        s if counts[s.lower()] == 1 else f"{s}_{r.id}"
        for s, r in zip(stems, recordings, strict=True)
    ]


_WRITERS: dict[str, Callable[[Path, list[Annotation]], None]] = {
    "raven": write_raven,
    "audacity": write_audacity,
    "csv": write_csv_table,
}
