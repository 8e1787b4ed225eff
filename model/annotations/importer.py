"""Planning an import of annotations into a project, then applying it (undoably).

``plan_import`` changes nothing: it matches each annotation to a recording, turns its span into
clip labels by the rule in ``model.annotations.clips`` (or, for a row with a frequency band of
its own, keeps it as a time-frequency box, ``model.annotations.box_rule``) and sorts out class
names, so the GUI can
show what will happen (new classes to confirm, rows that cannot be placed and why) before the
user says yes. ``apply_import`` then writes the plan as one command, so one Undo takes the whole
import back.

Rows are matched to recordings by the file they name (Raven ``Begin Path``/``Begin File``,
BirdNET ``File``, a CSV file column): first by the whole path, then by file name (ignoring
case; the path's folders break ties), then by name without extension. Single-file formats
(Audacity, Sonic Visualiser layers) name no file; the caller passes the recording.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from model.annotations.box_rule import BOX_MIN_OVERLAP, band_of
from model.annotations.clips import clips_for_span
from model.annotations.records import Annotation, path_parts
from model.class_names import class_name_problem
from model.clips.geometry import geometry_of
from model.project.records import LabelState, Recording

if TYPE_CHECKING:
    from model.annotations.commands import ImportLabels
    from model.project import Project, UndoStack

RecordingFor = Recording | Callable[[Annotation], Recording | None] | None
PlannedLabel = tuple[int, float, float, str, LabelState]
#: recording id, start s, end s, low Hz, high Hz, class name, state
PlannedBox = tuple[int, float, float, float, float, str, LabelState]

# When overlapping annotations disagree about a clip, presence wins over doubt over absence.
_RANK = {LabelState.ABSENT: 0, LabelState.UNCERTAIN: 1, LabelState.PRESENT: 2}


@dataclass
class ImportPlan:
    """What an import would do: classes to create, clip labels to set, boxes to add, rows left
    out and why."""

    new_class_names: list[str] = field(default_factory=list)
    labels: list[PlannedLabel] = field(default_factory=list)
    unplaced: list[tuple[Annotation, str]] = field(default_factory=list)
    placed: int = 0  # annotations that gave at least one clip label or a box
    boxes: list[PlannedBox] = field(default_factory=list)

    def summary(self) -> str:
        recordings = len({label[0] for label in self.labels} | {box[0] for box in self.boxes})
        boxes = f" and {len(self.boxes)} box(es)" if self.boxes else ""
        text = (
            f"{self.placed} annotation(s) give {len(self.labels)} clip label(s){boxes} "
            f"in {recordings} recording(s)"
        )
        if self.new_class_names:
            text += f"; new classes: {', '.join(self.new_class_names)}"
        if self.unplaced:
            text += f"; {len(self.unplaced)} row(s) cannot be placed"
        return text


class RecordingIndex:
    """Finds the project recording an annotation's file name refers to.

    Built from ``Recording`` objects, or from a project's stored paths alone (``of_project``):
    names for a season's 100,000 recordings cost a fraction of building every ``Recording``,
    and the few recordings matched are read when matched.
    """

    def __init__(self, recordings: Iterable[Recording]) -> None:
        known = {rec.id: rec for rec in recordings}
        self._recording: Callable[[int], Recording | None] = known.get
        self._path: Callable[[int], PurePath] = lambda rec_id: known[rec_id].path
        self._fill((rec.id, rec.path.name) for rec in known.values())

    @classmethod
    def of_project(cls, project: Project) -> RecordingIndex:
        from model.project.listing import RecordingLookup

        index = cls(())
        stored = project.stored_paths()
        index._recording = RecordingLookup(project).get
        index._path = lambda rec_id: project.absolute_path(stored[rec_id])
        index._fill((rec_id, os.path.basename(text)) for rec_id, text in stored.items())
        return index

    def _fill(self, names: Iterable[tuple[int, str]]) -> None:
        self.by_name: dict[str, list[int]] = {}
        self.by_stem: dict[str, list[int]] = {}
        for rec_id, name in sorted(names):  # id order: the order recordings were added
            self.by_name.setdefault(name.lower(), []).append(rec_id)
            self.by_stem.setdefault(stem_of(name).lower(), []).append(rec_id)

    def get(self, rec_id: int) -> Recording | None:
        return self._recording(rec_id)

    def named(self, stem: str) -> list[Recording]:
        """Recordings whose file name without extension is ``stem`` (any case)."""
        found = (self._recording(i) for i in self.by_stem.get(stem.lower(), []))
        return [rec for rec in found if rec is not None]

    def match(self, file: Path | None) -> tuple[Recording | None, str]:
        """The recording, or None and the reason in words."""
        if file is None:
            return None, "the row names no recording; choose the recording to import into"
        for table, key in ((self.by_name, file.name.lower()), (self.by_stem, file.stem.lower())):
            candidates = table.get(key, [])
            if candidates:
                rec_id, why = _closest(file, candidates, self._path)
                return (self._recording(rec_id) if rec_id is not None else None), why
        return None, f"no recording in the project is called {file.name}"


def stem_of(name: str) -> str:
    """``PurePath(name).stem`` without building a path (100,000 names)."""
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def _closest(
    file: Path, candidates: list[int], path_of: Callable[[int], PurePath]
) -> tuple[int | None, str]:
    """The candidate whose path shares the longest tail of folders with ``file``."""
    if len(candidates) == 1:
        return candidates[0], ""
    wanted = path_parts(file)
    scores = [_common_tail(wanted, path_parts(path_of(c))) for c in candidates]
    best = max(scores)
    winners = [c for c, s in zip(candidates, scores, strict=True) if s == best]
    if len(winners) == 1:
        return winners[0], ""
    return None, f"{len(winners)} recordings are called {file.name}; the path does not say which"


def _common_tail(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def plan_import(
    project: Project,
    annotations: Sequence[Annotation],
    *,
    min_overlap: float = 0.5,
    clip_seconds: float | None = None,
    grid: float | None = None,
    recording_for: RecordingFor = None,
    default_label: str | None = None,
    min_score: float | None = None,
    keep_boxes: bool = True,
    index: RecordingIndex | None = None,
) -> ImportPlan:
    """Works out the import without changing the project.

    ``recording_for`` is the recording for single-file formats, or a function choosing one per
    annotation; by default the annotation's file is matched against the project's recordings.
    ``default_label`` names the class of rows without a name (Sonic Visualiser boxes often have
    none). Rows scoring below ``min_score`` (BirdNET confidence) are listed, not imported.
    Clip length and grid default to the project's ``ClipGeometry`` (the model's windows).
    With ``keep_boxes`` a row with a band of its own becomes a time-frequency box (cut to the
    recording) instead of clip labels; training then reads it by the box rule on the project's
    clips, whatever ``min_overlap`` and ``grid`` say for plain spans. ``index``: the project's
    ``RecordingIndex`` when the caller keeps one (a preview re-planned at every change).
    """
    geometry = geometry_of(project)
    clip_seconds = geometry.clip_seconds if clip_seconds is None else clip_seconds
    grid = geometry.hop_seconds if grid is None else grid
    if not 0.0 < min_overlap <= 1.0:
        raise ValueError(f"min_overlap must be in (0, 1], got {min_overlap}")
    if recording_for is None and index is None:
        index = RecordingIndex.of_project(project)
    known = {c.name.lower(): c.name for c in project.classes()}
    plan = ImportPlan()
    chosen: dict[tuple[int, float, float, str], LabelState] = {}
    boxes: dict[tuple[int, float, float, float, float, str], LabelState] = {}
    for a in annotations:
        rec, why = (None, a.problem) if a.problem else _recording(a, recording_for, index)
        reason = why or _row_problem(a, rec, default_label, min_score)
        if reason:
            plan.unplaced.append((a, reason))
            continue
        assert rec is not None
        box = _as_box(a, rec, geometry.clip_seconds, geometry.hop_seconds) if keep_boxes else None
        if isinstance(box, str):
            plan.unplaced.append((a, box))
            continue
        if box is not None:
            name = _class_name(a.label.strip() or (default_label or "").strip(), known, plan)
            state = _state(a.state)
            assert state is not None
            key = (rec.id, *box, name)
            if key not in boxes or _RANK[state] > _RANK[boxes[key]]:
                boxes[key] = state
            plan.placed += 1
            continue
        spans = clips_for_span(
            a.start,
            a.end,
            rec.duration,
            clip_seconds=clip_seconds,
            grid=grid,
            min_overlap=min_overlap,
        )
        if not spans:
            plan.unplaced.append((a, _no_clip_reason(a, rec, clip_seconds, min_overlap)))
            continue
        name = _class_name(a.label.strip() or (default_label or "").strip(), known, plan)
        state = _state(a.state)
        assert state is not None
        for start, end in spans:
            key = (rec.id, start, end, name)
            if key not in chosen or _RANK[state] > _RANK[chosen[key]]:
                chosen[key] = state
        plan.placed += 1
    plan.labels = [(r, s, e, n, st) for (r, s, e, n), st in chosen.items()]
    plan.boxes = [(*key, st) for key, st in boxes.items()]
    return plan


def _as_box(
    a: Annotation, rec: Recording, clip_seconds: float, grid: float
) -> tuple[float, float, float, float] | str | None:
    """(start, end, low, high) of the box a row is, cut to the recording; None for a plain
    span; the reason in words when the box cannot be placed."""
    nyquist = rec.sample_rate / 2.0
    band = band_of(a.start, a.end, a.low_hz, a.high_hz, nyquist)
    if band is None:
        return None
    if band[0] >= nyquist:
        return (
            f"its band ({band[0]:g}-{band[1]:g} Hz) lies above the recording's highest "
            f"frequency ({nyquist:g} Hz)"
        )
    start, end = max(a.start, 0.0), min(a.end, rec.duration)
    spans = clips_for_span(
        start, end, rec.duration, clip_seconds=clip_seconds, grid=grid, min_overlap=BOX_MIN_OVERLAP
    )
    if end <= start or not spans:
        return _no_clip_reason(a, rec, clip_seconds, BOX_MIN_OVERLAP)
    return start, end, band[0], band[1]


def _recording(
    a: Annotation, recording_for: RecordingFor, index: RecordingIndex | None
) -> tuple[Recording | None, str]:
    if isinstance(recording_for, Recording):
        return recording_for, ""
    if callable(recording_for):
        rec = recording_for(a)
        return (rec, "") if rec is not None else (None, "no recording chosen for this row")
    assert index is not None
    return index.match(a.file)


def _row_problem(
    a: Annotation, rec: Recording | None, default_label: str | None, min_score: float | None
) -> str:
    """Why a row cannot be imported, or '' when it can (the clip rule is checked after)."""
    if not (math.isfinite(a.start) and math.isfinite(a.end)):
        return "the start or end time is not a number"
    if a.end < a.start:
        return f"it ends ({a.end:g} s) before it starts ({a.start:g} s)"
    if not a.label.strip() and not (default_label or "").strip():
        return "the row has no class name (give one for unnamed rows)"
    problem = class_name_problem(a.label.strip() or (default_label or "").strip())
    if problem:
        return problem
    if _state(a.state) is None:
        return f"unknown label state {a.state!r} (expected present, absent or uncertain)"
    if min_score is not None and a.score is not None and a.score < min_score:
        return f"its score {a.score:.3f} is below the threshold {min_score:g}"
    assert rec is not None
    if a.end < 0 or a.start >= rec.duration:
        return f"it lies outside the recording (0-{rec.duration:.2f} s)"
    return ""


def _no_clip_reason(a: Annotation, rec: Recording, clip: float, min_overlap: float) -> str:
    if a.end <= 0:
        return f"it lies outside the recording (0-{rec.duration:.2f} s)"
    return f"it overlaps no {clip:g}-s clip by at least {min_overlap:.0%} of the shorter of the two"


def _state(text: str | None) -> LabelState | None:
    if text is None or not text.strip():
        return LabelState.PRESENT
    try:
        return LabelState(text.strip().lower())
    except ValueError:
        return None


def _class_name(name: str, known: dict[str, str], plan: ImportPlan) -> str:
    """The project's spelling of a class (names match ignoring case); new names are collected."""
    existing = known.get(name.lower())
    if existing is not None:
        return existing
    known[name.lower()] = name
    plan.new_class_names.append(name)
    return name


def apply_import(
    project: Project,
    plan: ImportPlan,
    *,
    create_classes: bool | set[str] = True,
    author: str = "import",
    overwrite: bool = True,
    undo_stack: UndoStack | None = None,
) -> int:
    """Writes the plan as one ``ImportLabels`` command; returns the number of clip labels
    written (``import_command`` also tells the boxes).

    ``create_classes``: True creates every new class, a set creates only those names, False
    none; labels of classes not created are left out. ``overwrite=False`` keeps labels already
    on a clip. With ``undo_stack`` the command is pushed there, so Undo takes it all back.
    """
    command = import_command(
        project, plan, create_classes=create_classes, author=author, overwrite=overwrite,
        undo_stack=undo_stack,
    )  # fmt: skip
    return command.written


def import_command(
    project: Project,
    plan: ImportPlan,
    *,
    create_classes: bool | set[str] = True,
    author: str = "import",
    overwrite: bool = True,
    undo_stack: UndoStack | None = None,
) -> ImportLabels:
    """``apply_import``, returning the command that ran (its ``written`` and ``boxes_written``)."""
    from model.annotations.commands import ImportLabels

    command = ImportLabels(plan, create_classes=create_classes, author=author, overwrite=overwrite)
    if undo_stack is not None:
        undo_stack.push(command)
    else:
        command.do(project)
    return command
