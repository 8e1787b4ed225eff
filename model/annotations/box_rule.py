"""How time-frequency boxes become clip labels for training (the text is shown to users).

A box labels the clips it overlaps by the import rule (``model.annotations.clips``): the clips
the classifier scores (on the project's grid), each one overlapping the box by at least half of
the shorter of the two, gets the box's class and state. The band does not matter here: the
classifier sees whole clips, every frequency. Where several boxes of one class meet on a clip,
presence wins over doubt over absence, as in an import.

Imported rows become boxes when they carry a band of their own (``band_of``); the clip labels
they give follow the same rule, so importing a Raven table and drawing the same boxes by hand
train alike.

These clip labels are never stored. They are made from the boxes whenever training, the review
queue or a count needs them, so moving, resizing, relabelling or deleting a box, and undoing any
of it, cannot leave a stale clip label behind: the stored box is the only truth. A clip label
set by hand on the same clip stays beside the one a box gives; training ranks the two the same
way (present over unknown over absent, ``model.ml.dataset``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from model.annotations.clips import clips_for_span
from model.project.records import Box, Label, LabelState

if TYPE_CHECKING:
    from model.project import Project

#: Of the shorter of box and clip, as for imported spans (the import rule's default).
BOX_MIN_OVERLAP = 0.5
#: Hz of slack when deciding that a band is the recording's whole band (0 Hz to Nyquist).
FULL_BAND_SLACK_HZ = 0.5
_RANK = {LabelState.ABSENT: 0, LabelState.UNCERTAIN: 1, LabelState.PRESENT: 2}


def band_of(
    start: float, end: float, low_hz: float | None, high_hz: float | None, nyquist: float
) -> tuple[float, float] | None:
    """The band an imported row keeps as a box, or None when it is a plain time span.

    A row is a box when it has a band with some extent that is not the recording's whole band
    (0 Hz to half the sample rate, as Sonotag writes clip labels and Raven writes a selection
    drawn over the full height): that carries nothing a clip label does not. A point in time
    (zero length) is no box either. A band reaching past Nyquist is kept as given.
    """
    if low_hz is None or high_hz is None or end <= start:
        return None
    low = max(low_hz, 0.0)
    if high_hz <= low:
        return None
    if low <= FULL_BAND_SLACK_HZ and high_hz >= nyquist - FULL_BAND_SLACK_HZ:
        return None
    return low, high_hz


def box_clip_labels(
    boxes: Iterable[Box],
    durations: Mapping[int, float],
    *,
    clip_seconds: float,
    grid: float,
) -> list[Label]:
    """The clip labels the boxes give, one per (recording, clip, class).

    A derived label has the negative id of a box that gave it and says so in its note; boxes of
    recordings missing from ``durations`` are skipped.
    """
    chosen: dict[tuple[int, float, float, int], Label] = {}
    for box in boxes:
        duration = durations.get(box.recording_id)
        if duration is None:
            continue
        spans = clips_for_span(
            box.start, box.end, duration,
            clip_seconds=clip_seconds, grid=grid, min_overlap=BOX_MIN_OVERLAP,
        )  # fmt: skip
        for start, end in spans:
            key = (box.recording_id, start, end, box.class_id)
            known = chosen.get(key)
            if known is not None and _RANK[known.state] >= _RANK[box.state]:
                continue
            chosen[key] = Label(
                id=-box.id,
                recording_id=box.recording_id,
                start=start,
                end=end,
                class_id=box.class_id,
                state=box.state,
                author=box.author,
                created=box.created,
                note=f"from box {box.id}",
            )
    return sorted(chosen.values(), key=lambda la: (la.recording_id, la.start, la.class_id))


def project_grid(project: Project) -> tuple[float, float]:
    """(clip length, grid step) of the project's clips: the windows its models score."""
    from model.clips.geometry import geometry_of

    geometry = geometry_of(project)
    return geometry.clip_seconds, geometry.hop_seconds


def training_labels(
    project: Project,
    *,
    class_id: int | None = None,
    recording_id: int | None = None,
    clip_seconds: float | None = None,
    grid: float | None = None,
) -> list[Label]:
    """Every clip label training sees: those set by hand or imported, then those the boxes
    give (by the rule above, on the project's clips unless told otherwise)."""
    if clip_seconds is None or grid is None:
        default_clip, default_grid = project_grid(project)
        clip_seconds = default_clip if clip_seconds is None else clip_seconds
        grid = default_grid if grid is None else grid
    labels = project.labels(recording_id=recording_id, class_id=class_id)
    boxes = project.boxes(recording_id=recording_id, class_id=class_id)
    if not boxes:
        return labels
    durations = {r.id: r.duration for r in project.recordings()}
    derived = box_clip_labels(boxes, durations, clip_seconds=clip_seconds, grid=grid)
    return labels + derived
