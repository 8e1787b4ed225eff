"""The import dialog's bookkeeping, kept free of Qt so it can be reasoned about (and tested) alone.

The dialog imports several files at once, each with its own format and, for single-file
formats, its own recording, while ``plan_import`` plans one list of annotations against one
recording rule. So each file is planned on its own and the plans are merged here: new class
names counted once (ignoring case, as the project does), and a clip labelled (or a box drawn)
by two files keeps the stronger state, the same "present over uncertain over absent" rule
``plan_import`` applies inside one file. A file that cannot be read at all is listed like an
unplaceable row, so nothing the user chose disappears without a word.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from model.annotations.box_rule import BOX_MIN_OVERLAP
from model.annotations.formats import READERS, SINGLE_FILE, detect_format, read_annotations
from model.annotations.importer import ImportPlan, RecordingIndex, plan_import, stem_of
from model.annotations.records import Annotation
from model.clips.geometry import (
    DEFAULT_CLIP_SECONDS,
    DEFAULT_HOP_SECONDS,
    ClipGeometry,
    geometry_of,
)
from model.errors import AnnotationFormatError, SonotagError
from model.project.listing import RecordingLookup
from model.project.records import LabelState, Recording, to_ms

if TYPE_CHECKING:
    from model.project import Project

FORMAT_NAMES: dict[str, str] = {
    "raven": "Raven selection table",
    "audacity": "Audacity labels",
    "sonic_visualiser": "Sonic Visualiser layer",
    "birdnet": "BirdNET results",
    "csv": "CSV table",
}
assert set(FORMAT_NAMES) == set(READERS)

_RANK = {LabelState.ABSENT: 0, LabelState.UNCERTAIN: 1, LabelState.PRESENT: 2}


@dataclass
class Source:
    """One annotation file as the user set it up: format and (single-file formats) recording."""

    path: Path
    detected: str
    fmt: str
    recording_id: int | None = None
    detect_error: str = ""

    @property
    def single_file(self) -> bool:
        return self.fmt in SINGLE_FILE


@dataclass(frozen=True)
class ImportRule:
    """The clip rule's parameters and the per-row options, as the dialog's widgets hold them."""

    min_overlap: float = 0.5
    grid: float = DEFAULT_HOP_SECONDS
    clip_seconds: float = DEFAULT_CLIP_SECONDS
    default_label: str = ""
    min_score: float | None = None
    frames_at_recording_rate: bool = False
    keep_boxes: bool = True  # rows with a band of their own become time-frequency boxes


@dataclass
class Unplaced:
    """A row (or a whole file, ``annotation`` None) that will not be imported, and why."""

    path: Path
    annotation: Annotation | None
    reason: str

    def where(self) -> str:
        a = self.annotation
        if a is None:
            return "whole file"
        return f"row {a.row}" if a.row is not None else ""

    def what(self) -> str:
        a = self.annotation
        if a is None:
            return ""
        text = a.describe()
        return text.split(": ", 1)[1] if a.row is not None and ": " in text else text


@dataclass
class Preview:
    """Everything the dialog shows about an import before the user confirms it."""

    plan: ImportPlan = field(default_factory=ImportPlan)
    unplaced: list[Unplaced] = field(default_factory=list)
    rows: dict[Path, int | None] = field(default_factory=dict)  # None: the file is unreadable

    @property
    def total_rows(self) -> int:
        return sum(n for n in self.rows.values() if n)

    def labels_to_write(self, refused_classes: set[str] = frozenset()) -> int:
        """Labels left once the new classes the user unticked are taken out."""
        refused = {name.lower() for name in refused_classes}
        return sum(1 for label in self.plan.labels if label[3].lower() not in refused)

    def boxes_to_write(self, refused_classes: set[str] = frozenset()) -> int:
        """Boxes left once the new classes the user unticked are taken out."""
        refused = {name.lower() for name in refused_classes}
        return sum(1 for box in self.plan.boxes if box[5].lower() not in refused)

    def recordings_touched(self, refused_classes: set[str] = frozenset()) -> int:
        refused = {name.lower() for name in refused_classes}
        labels = {label[0] for label in self.plan.labels if label[3].lower() not in refused}
        boxes = {box[0] for box in self.plan.boxes if box[5].lower() not in refused}
        return len(labels | boxes)


class ProjectRecordings:
    """The project's recordings as an import needs them, read when needed: by id, by file-name
    stem (one query), and the name index of every recording only once a file names its
    recordings (a Raven table's Begin File). A season's project holds 100,000 recordings:
    building each one when the dialog opens took seconds before the user saw anything."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.lookup = RecordingLookup(project)
        self._index: RecordingIndex | None = None

    def get(self, rec_id: int | None) -> Recording | None:
        return None if rec_id is None else self.lookup.get(rec_id)

    def named(self, stem: str) -> list[Recording]:
        """Recordings whose file name without extension is ``stem`` (any case), in id order."""
        if not stem.isascii():  # SQLite's LIKE folds ASCII letters only
            return self.index().named(stem)
        wanted = stem.lower()
        found = (
            self.lookup.get(rec_id)
            for rec_id, stored in self.project.find_recordings(stem)
            if stem_of(os.path.basename(stored)).lower() == wanted
        )
        return [rec for rec in found if rec is not None]

    def index(self) -> RecordingIndex:
        if self._index is None:
            self._index = RecordingIndex.of_project(self.project)
        return self._index


class ExistingMarks:
    """The project's clip labels and boxes before an import, as the plan names them (class
    names lower-cased), to count what the import would find there already: read for the
    recordings a plan touches, when it first touches them (never the whole project's)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.names = {c.id: c.name.lower() for c in project.classes()}
        self._clips: dict[int, frozenset[tuple[int, int, str]]] = {}
        self._boxes: dict[int, frozenset[tuple[float, float, float, float, str]]] = {}

    @classmethod
    def of(cls, project: Project) -> ExistingMarks:
        return cls(project)

    def _clips_of(self, rec_id: int) -> frozenset[tuple[int, int, str]]:
        if rec_id not in self._clips:
            self._clips[rec_id] = frozenset(
                (to_ms(la.start), to_ms(la.end), self.names.get(la.class_id, ""))
                for la in self.project.labels(recording_id=rec_id)
            )
        return self._clips[rec_id]

    def _boxes_of(self, rec_id: int) -> frozenset[tuple[float, float, float, float, str]]:
        if rec_id not in self._boxes:
            self._boxes[rec_id] = frozenset(
                (b.start, b.end, b.low_hz, b.high_hz, self.names.get(b.class_id, ""))
                for b in self.project.boxes(recording_id=rec_id)
            )
        return self._boxes[rec_id]

    def clips_in(self, plan: ImportPlan, refused_classes: set[str]) -> int:
        refused = {n.lower() for n in refused_classes}
        return sum(
            (to_ms(start), to_ms(end), name.lower()) in self._clips_of(rec)
            for rec, start, end, name, _state in plan.labels
            if name.lower() not in refused
        )

    def boxes_in(self, plan: ImportPlan, refused_classes: set[str]) -> int:
        refused = {n.lower() for n in refused_classes}
        return sum(
            (start, end, low, high, name.lower()) in self._boxes_of(rec)
            for rec, start, end, low, high, name, _state in plan.boxes
            if name.lower() not in refused
        )


def make_source(
    path: Path, named: Callable[[str], list[Recording]], current: Recording | None
) -> Source:
    """A file with its detected format and, for single-file formats, a first-guess recording
    (``named``: the recordings called like a stem, ``ProjectRecordings.named``)."""
    try:
        detected, error = detect_format(path), ""
    except SonotagError as exc:
        detected, error = "csv", exc.cause
    source = Source(path=path, detected=detected, fmt=detected, detect_error=error)
    if source.single_file:
        rec = default_recording(path, named, current)
        source.recording_id = rec.id if rec is not None else None
    return source


def default_recording(
    path: Path, named: Callable[[str], list[Recording]], current: Recording | None
) -> Recording | None:
    """The recording named like the annotation file (``363.xml`` -> ``363.wav``), else current.

    Several recordings with that name: the one in the annotation file's own folder, then the
    one whose folders best match (as the importer matches named files).
    """
    stem = path.stem.lower()
    for suffix in (".selections", ".table.1"):  # Raven's "x.Table.1.selections.txt"
        stem = stem.removesuffix(suffix)
    same = named(stem)
    if len(same) > 1:
        beside = [r for r in same if r.path.parent == path.parent]
        if len(beside) == 1:
            return beside[0]
        rec, _ = RecordingIndex(same).match(path.with_name(same[0].path.name))
        return rec if rec is not None else (current or same[0])
    if same:
        return same[0]
    return current


class AnnotationCache:
    """Reads each (file, format, frame rate) once; the preview re-plans on every widget change."""

    def __init__(self) -> None:
        self._read: dict[tuple[Path, str, float | None], list[Annotation] | SonotagError] = {}

    def read(
        self, path: Path, fmt: str, sample_rate: float | None = None
    ) -> list[Annotation] | SonotagError:
        key = (path, fmt, sample_rate)
        if key not in self._read:
            options = {"sample_rate": sample_rate} if sample_rate else {}
            try:
                self._read[key] = read_annotations(path, fmt, **options)
            except SonotagError as exc:
                self._read[key] = exc
            except Exception as exc:  # noqa: BLE001 - a reader bug must not hide the other files
                cause = f"the file could not be read as {FORMAT_NAMES[fmt]} ({exc})"
                self._read[key] = AnnotationFormatError(path, cause)
        return self._read[key]


def rate_mismatch(
    cache: AnnotationCache, source: Source, recording: Recording | None
) -> float | None:
    """The layer's own frame rate when it differs from the recording's, else None.

    Read at the file's rate and at the recording's, the first span differs exactly when the
    layer states another rate; the ratio gives that rate back (for the hint next to the box).
    """
    if source.fmt != "sonic_visualiser" or recording is None:
        return None
    own = cache.read(source.path, source.fmt)
    forced = cache.read(source.path, source.fmt, float(recording.sample_rate))
    if isinstance(own, SonotagError) or isinstance(forced, SonotagError):
        return None
    for a, b in zip(own, forced, strict=False):
        if a.start > 0 and b.start > 0:
            if abs(a.start - b.start) <= 1e-9 * b.start:
                return None
            return round(recording.sample_rate * b.start / a.start)
    return None


def build_preview(
    project: Project,
    sources: list[Source],
    rule: ImportRule,
    cache: AnnotationCache,
    recordings: ProjectRecordings | None = None,
) -> Preview:
    """Plans every file and merges the plans (see the module docstring). ``recordings``: the
    dialog's, kept between previews (a new one reads what it needs again)."""
    recordings = recordings or ProjectRecordings(project)
    preview = Preview()
    chosen: dict[tuple[int, float, float, str], tuple[str, LabelState]] = {}
    boxes: dict[tuple[int, float, float, float, float, str], tuple[str, LabelState]] = {}
    seen_new: dict[str, str] = {}
    for source in sources:
        rec = None
        if source.single_file and source.recording_id is not None:
            rec = recordings.get(source.recording_id)
        # A single-file format names no recording: none chosen, every row says so.
        index = RecordingIndex(()) if source.single_file else recordings.index()
        own_rate = rec is not None and rule.frames_at_recording_rate
        rate = float(rec.sample_rate) if own_rate and source.fmt == "sonic_visualiser" else None
        read = cache.read(source.path, source.fmt, rate)
        if isinstance(read, SonotagError):
            preview.rows[source.path] = None
            preview.unplaced.append(Unplaced(source.path, None, read.cause))
            continue
        preview.rows[source.path] = len(read)
        plan = plan_import(
            project,
            read,
            min_overlap=rule.min_overlap,
            clip_seconds=rule.clip_seconds,
            grid=rule.grid,
            recording_for=rec,
            default_label=rule.default_label.strip() or None,
            min_score=rule.min_score,
            keep_boxes=rule.keep_boxes,
            index=index,
        )
        preview.plan.placed += plan.placed
        preview.unplaced += [Unplaced(source.path, a, why) for a, why in plan.unplaced]
        for name in plan.new_class_names:
            seen_new.setdefault(name.lower(), name)
        for rec_id, start, end, name, state in plan.labels:
            key = (rec_id, start, end, name.lower())
            if key not in chosen or _RANK[state] > _RANK[chosen[key][1]]:
                chosen[key] = (seen_new.get(name.lower(), name), state)
        for rec_id, start, end, low, high, name, state in plan.boxes:
            box_key = (rec_id, start, end, low, high, name.lower())
            if box_key not in boxes or _RANK[state] > _RANK[boxes[box_key][1]]:
                boxes[box_key] = (seen_new.get(name.lower(), name), state)
    preview.plan.new_class_names = list(seen_new.values())
    preview.plan.labels = [(r, s, e, n, st) for (r, s, e, _), (n, st) in chosen.items()]
    preview.plan.boxes = [(*key[:5], n, st) for key, (n, st) in boxes.items()]
    return preview


def rule_text(rule: ImportRule) -> str:
    """The clip rule in words, with the numbers the user set (shown above the preview)."""
    clip, grid = f"{rule.clip_seconds:g}", f"{rule.grid:g}"
    return (
        f"Sonotag labels {clip}-second clips starting every {grid} s (0 s, {grid} s, …). "
        f"A clip gets an annotation's class when the two overlap by at least "
        f"{rule.min_overlap:.0%} of the shorter of the two: a short call inside a clip counts, "
        f"and a long span labels every clip it mostly covers. A point in time labels the clips "
        f"that contain it. Spans are cut to the recording; rows that meet no clip are listed "
        f"below with the reason."
    ) + (
        f" Rows with a frequency band of their own are kept as time–frequency boxes (shown and "
        f"edited on the spectrogram, exported with their band); for training a box labels the "
        f"project's clips it overlaps by at least {BOX_MIN_OVERLAP:.0%} of the shorter of the two."
        if rule.keep_boxes
        else ""
    )


def summary_text(
    preview: Preview,
    refused: set[str],
    files: int,
    existing: int,
    keep_existing: bool,
    boxes_there: int,
) -> str:
    """The preview's one-paragraph summary: what will be written, what is left out and what
    is there already (``existing`` clips labelled, ``boxes_there`` identical boxes)."""
    count = preview.labels_to_write(refused)
    boxes = preview.boxes_to_write(refused)
    left_out = len(preview.plan.labels) + len(preview.plan.boxes) - count - boxes
    what = f"{count} clip label(s)" + (f" and {boxes} box(es)" if boxes else "")
    text = (
        f"{what} to write in {preview.recordings_touched(refused)} recording(s), from "
        f"{preview.plan.placed} of {preview.total_rows} annotation row(s) in {files} file(s)."
    )
    if left_out:
        text += f" {left_out} label(s) of unticked classes are left out."
    kept = "already labelled, kept as they are" if keep_existing else "replacing the clip's label"
    text += f" {count - existing} new, {existing} {kept}." if existing else ""
    text += f" {boxes_there} box(es) are in the project already." if boxes_there else ""
    return text


def geometry_for_import(project: Project) -> ClipGeometry:
    """The project's clip length and hop (``ClipGeometry``), the defaults if its stored clip
    settings cannot be read: imported labels then land on the windows the model scores."""
    try:
        return geometry_of(project)
    except (ValueError, TypeError, KeyError):
        return ClipGeometry()
