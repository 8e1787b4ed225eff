"""Labelling many clips of the map at once: one command, one undo step, one transaction.

Each clip gets a ``SetLabel`` on exactly its span (start, start + clip length), the span the
training rule reads back as that clip, as review decisions do; clips that already carry the
same state for the class are left alone, so undoing never removes a label the user had set
before. The whole group is one ``CommandGroup``: Ctrl+Z takes back the whole lasso.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from model.project.commands import CommandGroup, SetLabel
from model.project.records import LabelState, to_ms

MAP_NOTE = "explorer"


def label_clips(
    project: object,
    recording_ids: Sequence[int] | np.ndarray,
    starts: Sequence[float] | np.ndarray,
    clip_seconds: float,
    class_id: int,
    state: LabelState | str,
    author: str | None = None,
) -> CommandGroup | None:
    """The command that labels these clips (None when every clip already has that state)."""
    state = LabelState(state)
    name = project.label_class(class_id).name  # type: ignore[attr-defined]
    ends = np.round((np.asarray(starts, np.float64) + clip_seconds) * 1000) / 1000
    starts = np.round(np.asarray(starts, np.float64) * 1000) / 1000
    clips = [
        (int(r), to_ms(float(s)), to_ms(float(e)))
        for r, s, e in zip(recording_ids, starts, ends, strict=True)
    ]
    existing = project.label_states(class_id, clips)  # type: ignore[attr-defined]
    commands = [
        SetLabel(clip[0], float(s), float(e), class_id, state, author=author, note=MAP_NOTE)
        for clip, s, e in zip(clips, starts, ends, strict=True)
        if existing.get(clip) != state
    ]
    if not commands:
        return None
    return CommandGroup(f"Label {len(commands)} clips {name} {state.value}", commands)
