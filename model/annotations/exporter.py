"""Exporting a project's labels, or its model's detections, as Raven, Audacity, Sonic
Visualiser or CSV files.

Labels are clips, written one row per clip and class, and time-frequency boxes, one row each
with their own band: a box imported from Raven, Audacity or Sonic Visualiser goes back out with
the frequencies it came in with (a Raven row's Low/High Freq, an Audacity frequency line, a
Sonic Visualiser box). Clip labels cover every frequency, so they get 0 Hz to Nyquist, and no
frequency line in Audacity (a full-band line says nothing). Predictions are written where a
class's score reaches its threshold; with ``merge_adjacent`` a run of overlapping or touching
windows above threshold becomes one row (scored by its best window), as a person would draw it.

``per_recording=True`` writes one file per recording into the folder ``out``, named as
``model.annotations.dialect`` names them (``x.Table.1.selections.txt`` as Raven does,
``x.labels.txt``, ``x.csv``; ``x.svl`` as Sonic Visualiser names its layers); ``False`` writes
one file ``out``: a multi-file Raven table or a CSV with a file column. Audacity label tracks
and Sonic Visualiser layers hold one recording each, so they are always written per recording.
Columns, band (0 Hz to Nyquist unless the model declares its own) and names are the dialect's,
shared with ``sonotag predict``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from model.annotations import dialect
from model.annotations.dialect import band_for, detection_rows, detection_spans, write_table
from model.annotations.records import Annotation, clock_at
from model.annotations.sonic_visualiser import write_sonic_visualiser
from model.errors import AnnotationFormatError, ProjectError
from model.jobs import Reporter
from model.project.records import Box, LabelState, ModelRecord, Recording

if TYPE_CHECKING:
    from model.project import Project

Format = Literal["raven", "audacity", "csv", "sonic_visualiser"]
FORMATS: tuple[str, ...] = (*dialect.FORMATS, "sonic_visualiser")
SUFFIXES: dict[str, str] = {**dialect.SUFFIXES, "sonic_visualiser": ".svl"}
#: Formats that hold one recording per file.
SINGLE_RECORDING = frozenset({"audacity", "sonic_visualiser"})
__all__ = [
    "FORMATS",
    "SUFFIXES",
    "detections",
    "export_job",
    "export_labels",
    "export_predictions",
]


def export_labels(
    project: Project,
    out: str | Path,
    fmt: Format,
    *,
    per_recording: bool = True,
    states: Iterable[LabelState | str] = (LabelState.PRESENT,),
    clips: bool = True,
    boxes: bool = True,
    reporter: Reporter | None = None,
) -> list[Path]:
    """Writes the clip labels (``clips``) and boxes (``boxes``) in ``states``; returns the files
    written (recordings with something to write). ``reporter``: progress per file, and cancel
    between files (those written stay)."""
    wanted = {LabelState(s) for s in states}
    names = {c.id: c.name for c in project.classes()}
    show_state = wanted != {LabelState.PRESENT}
    by_recording: dict[int, list[Annotation]] = {}
    recordings = {r.id: r for r in project.recordings()}
    marks = [*(project.labels() if clips else []), *(project.boxes() if boxes else [])]
    for mark in marks:
        if mark.state not in wanted:
            continue
        rec = recordings[mark.recording_id]
        band = (mark.low_hz, mark.high_hz) if isinstance(mark, Box) else (None, None)
        by_recording.setdefault(rec.id, []).append(
            Annotation(
                rec.path,
                mark.start,
                mark.end,
                *band,
                label=names.get(mark.class_id, f"class {mark.class_id}"),
                state=mark.state.value if show_state else None,
                clock_start=clock_at(rec.start_time, mark.start),
            )  # fmt: skip
        )
    chosen = [r for r in recordings.values() if r.id in by_recording]
    return _write(out, fmt, chosen, by_recording, per_recording, False, True, reporter)


def export_predictions(
    project: Project,
    out: str | Path,
    fmt: Format,
    *,
    threshold: float | Mapping[str, float] = 0.5,
    merge_adjacent: bool = True,
    per_recording: bool = True,
    model_id: int | None = None,
    reporter: Reporter | None = None,
) -> list[Path]:
    """Writes detections of the active (or given) model; ``threshold`` may be per class name.

    Every recording the model scored gets a file, even with nothing above threshold: an empty
    table says "analysed, nothing found", which a missing one does not. Classes missing from a
    per-class threshold mapping use 0.5.
    """
    model = _model(project, model_id)
    clip = model.clip_seconds
    declared = declared_band(model.manifest)
    names = {c.id: c.name for c in project.classes()}
    by_recording: dict[int, list[Annotation]] = {}
    chosen: list[Recording] = []
    every = project.recordings()
    for number, rec in enumerate(every):
        if reporter is not None and number % 100 == 0:
            reporter.update(number, len(every), f"reading the scores of {rec.path.name}")
        starts, class_ids, scores = project.predictions(model.id, rec.id)
        if len(class_ids) == 0:
            continue
        chosen.append(rec)
        labels = [names.get(c, f"class {c}") for c in class_ids]
        limits = [_threshold_for(threshold, name) for name in labels]
        band = band_for(rec.sample_rate, declared)
        by_recording[rec.id] = detection_rows(
            rec.path, starts, scores, labels, limits, clip, band, merge=merge_adjacent,
            start_time=rec.start_time,
        )  # fmt: skip
    declared_flag = declared is not None
    return _write(out, fmt, chosen, by_recording, per_recording, True, declared_flag, reporter)


def export_job(
    reporter: Reporter,
    project_path: str | Path,
    out: str | Path,
    fmt: Format,
    *,
    detections: bool = False,
    **options: Any,
) -> list[Path]:
    """Job (``model.jobs``): ``export_predictions`` when ``detections``, else ``export_labels``,
    on the project at ``project_path`` (a season's export writes thousands of files: never on
    the GUI thread)."""
    from model.project import Project

    with Project.open(project_path, deep_check=False) as project:
        export = export_predictions if detections else export_labels
        written = export(project, out, fmt, reporter=reporter, **options)
        reporter.update(1, 1, f"{len(written)} file(s) written")
        return written


def declared_band(manifest: Mapping[str, Any]) -> tuple[float, float] | None:
    """The band a model says its detections lie in (``detection_band_hz``), if any."""
    band = manifest.get("detection_band_hz")
    return (float(band[0]), float(band[1])) if band else None


def detections(
    starts: np.ndarray, scores: np.ndarray, threshold: float, clip: float, merge: bool
) -> list[tuple[float, float, float]]:
    """(start, end, best score) of windows at or above ``threshold`` (see the dialect)."""
    return detection_spans(starts, scores, threshold, clip, merge)


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
    scored: bool,
    declared_band: bool,
    reporter: Reporter | None = None,
) -> list[Path]:
    """``declared_band``: rows that carry a band get an Audacity frequency line (the rows of a
    model declaring its band; boxes, whose clip labels carry none)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (expected one of {', '.join(FORMATS)})")
    out = Path(out)
    if not per_recording and fmt not in SINGLE_RECORDING:
        everything = [a for rec in recordings for a in _ready(fmt, rec, rows[rec.id])]
        durations = {rec.path: rec.duration for rec in recordings} if fmt == "raven" else None
        if reporter is not None:
            reporter.update(0, 1, out.name)
        write_table(
            out, fmt, everything, scored=scored, declared_band=declared_band,
            file_durations=durations, clocks=scored or None,
        )  # fmt: skip
        return [out]
    if out.exists() and not out.is_dir():
        raise AnnotationFormatError(out, "is a file; one file per recording needs a folder")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for number, (rec, name) in enumerate(zip(recordings, _file_names(recordings), strict=True)):
        target = out / (name + SUFFIXES[fmt])
        if reporter is not None:
            reporter.update(number, len(recordings), target.name)
        ready = _ready(fmt, rec, rows[rec.id])
        if fmt == "sonic_visualiser":
            write_sonic_visualiser(target, ready, sample_rate=rec.sample_rate)
        else:
            write_table(
                target, fmt, ready, scored=scored, declared_band=declared_band,
                clocks=scored or None,  # detection tables always: they stack with predict's
            )  # fmt: skip
        written.append(target)
    return written


def _ready(fmt: str, rec: Recording, rows: list[Annotation]) -> list[Annotation]:
    """Rows without a band (clip labels) get the recording's whole band, except in Audacity;
    Audacity and Sonic Visualiser have no state column, so a label's state goes into its text."""
    if fmt != "audacity":
        whole = band_for(rec.sample_rate)
        rows = [a if a.has_band else replace(a, low_hz=whole[0], high_hz=whole[1]) for a in rows]
    if fmt in SINGLE_RECORDING:
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
