"""What the explorer colours clips by: each class's label state, the top score, the hour.

Label states follow training: a clip carries a class's state when a label (set by hand,
imported, or given by a box under the import rule) covers it substantially, the rule review
and training use (``model.review.labelled_mask``), so the map shows what the next training will
see. Where labels of one class disagree on a clip, present wins over uncertain over absent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np

from model.explore.grid import ClipGrid, clip_keys
from model.project.records import LabelState

#: State codes in arrays: unlabelled, then one per state (higher wins a disagreement).
UNLABELLED, ABSENT, UNCERTAIN, PRESENT = 0, 1, 2, 3
CODE = {LabelState.ABSENT: ABSENT, LabelState.UNCERTAIN: UNCERTAIN, LabelState.PRESENT: PRESENT}
STATE_NAMES = {UNLABELLED: "", ABSENT: "absent", UNCERTAIN: "uncertain", PRESENT: "present"}


def label_codes(project: Any, grid: ClipGrid, class_ids: list[int]) -> np.ndarray:
    """(clips, classes) uint8 state codes."""
    from model.annotations.box_rule import training_labels

    out = np.zeros((len(grid), len(class_ids)), np.uint8)
    rows_of = grid.by_recording()
    clip = grid.clip_seconds
    for column, class_id in enumerate(class_ids):
        for label in training_labels(project, class_id=class_id, clip_seconds=clip):
            rows = rows_of.get(label.recording_id)
            if rows is None:
                continue
            starts = grid.starts[rows]
            overlap = np.minimum(starts + clip, label.end) - np.maximum(starts, label.start)
            need = 0.5 * min(max(label.end - label.start, 1e-3), clip)
            hit = rows[overlap >= need - 1e-9]
            out[hit, column] = np.maximum(out[hit, column], CODE[label.state])
    return out


def top_scores(project: Any, grid: ClipGrid) -> tuple[np.ndarray, str]:
    """Highest class score of each clip under the active model (NaN where not scored), and
    the model's name ("" without an active model)."""
    out = np.full(len(grid), np.nan, np.float32)
    model = project.active_model()
    if model is None:
        return out, ""
    keys = grid.keys()
    order = np.argsort(keys)
    for chunk in project.iter_scores(model.id):
        if not len(chunk) or not chunk.scores.shape[1]:
            continue
        chunk_keys = clip_keys(chunk.recording_ids, chunk.starts)
        at = np.searchsorted(keys[order], chunk_keys)
        at = np.minimum(at, len(keys) - 1)
        found = keys[order][at] == chunk_keys
        best = np.nanmax(np.where(np.isfinite(chunk.scores), chunk.scores, -np.inf), axis=1)
        out[order[at[found]]] = np.where(np.isfinite(best[found]), best[found], np.nan)
    return out, model.name


def hours(project: Any, grid: ClipGrid) -> np.ndarray:
    """Hour of day (0-24, fractional) of each clip's start, NaN where the recording's start
    time is unknown: in the zone the activity plots use, else the start time's own zone."""
    from model.audio.start_time import zone_named
    from model.project.clock import ACTIVITY_ZONE_META

    name = project.get_meta(ACTIVITY_ZONE_META) if hasattr(project, "get_meta") else None
    zone = zone_named(name) if name else None
    out = np.full(len(grid), np.nan, np.float32)
    recordings = {r.id: r for r in project.recordings()}
    for rid, rows in grid.by_recording().items():
        recording = recordings.get(rid)
        if recording is None or recording.start_time is None:
            continue
        start = recording.start_time
        if zone is not None and start.tzinfo is not None:
            start = start.astimezone(zone)
        midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
        offset = (start - midnight) / timedelta(hours=1)
        out[rows] = np.mod(offset + grid.starts[rows] / 3600.0, 24.0)
    return out
