"""Which two-second clip is selected, and how clicks and arrow keys move it.

The selection is a span of the current recording, not a label: a clip can be selected with no
label yet, and it can carry several labels (one per class). Times are kept on a millisecond grid,
like the database, so a clip selected here matches the labels stored for it exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

CLIP_SECONDS = 2.0
GRID_SECONDS = 1.0


@dataclass(frozen=True)
class Clip:
    start: float
    end: float

    @property
    def centre(self) -> float:
        return (self.start + self.end) / 2


def _ms(seconds: float) -> float:
    return round(seconds * 1000) / 1000


def clip_at(
    t: float,
    duration: float,
    *,
    clip: float = CLIP_SECONDS,
    snap: bool = False,
    grid: float = GRID_SECONDS,
) -> Clip:
    """The clip centred on ``t``, kept inside the recording; with ``snap`` its start lies on
    the grid, so clips made by different clicks line up and match the model's windows."""
    if duration <= clip:
        return Clip(0.0, _ms(max(duration, 0.0)))
    start = t - clip / 2
    if snap:
        start = math.floor(start / grid + 0.5) * grid
        last = math.floor((duration - clip) / grid + 1e-9) * grid
    else:
        last = duration - clip
    start = min(max(start, 0.0), last)
    return Clip(_ms(start), _ms(start + clip))


class ClipSelection(QObject):
    """The selected clip of the shown recording; ``changed`` carries the Clip or None."""

    changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.duration = 0.0
        self.snap = False
        self.clip_seconds = CLIP_SECONDS
        self.grid_seconds = GRID_SECONDS
        self._clip: Clip | None = None

    @property
    def clip(self) -> Clip | None:
        return self._clip

    @property
    def step(self) -> float:
        """Arrow keys move by one clip, or by one grid cell when snapping."""
        return self.grid_seconds if self.snap else self.clip_seconds

    def set_recording_duration(self, duration: float) -> None:
        self.duration = max(0.0, float(duration))
        self.clear()

    def clear(self) -> None:
        if self._clip is not None:
            self._clip = None
            self.changed.emit(None)

    def select_at(self, t: float) -> Clip | None:
        if self.duration <= 0:
            return None
        clip = clip_at(
            t, self.duration, clip=self.clip_seconds, snap=self.snap, grid=self.grid_seconds
        )
        self._set(clip)
        return clip

    def select_span(self, start: float, end: float) -> None:
        """Selects an existing label's span as is (labels imported from other tools may not
        be two seconds long)."""
        self._set(Clip(_ms(start), _ms(end)))

    def move(self, steps: int) -> Clip | None:
        """Moves by whole steps, stopping at the recording's ends; from nothing, starts at 0."""
        if self.duration <= 0:
            return None
        if self._clip is None:
            return self.select_at(self.clip_seconds / 2)
        length = self._clip.end - self._clip.start
        start = self._clip.start + steps * self.step
        start = min(max(start, 0.0), max(self.duration - length, 0.0))
        self._set(Clip(_ms(start), _ms(start + length)))
        return self._clip

    def _set(self, clip: Clip) -> None:
        if clip != self._clip:
            self._clip = clip
            self.changed.emit(clip)
