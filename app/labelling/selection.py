"""Which clip is selected, and how clicks and arrow keys move it.

The selection is a span of the current recording, not a label: a clip can be selected with no
label yet, and it can carry several labels (one per class). Times are kept on a millisecond grid,
like the database, so a clip selected here matches the labels stored for it exactly. Clip length
and grid are the project's ``ClipGeometry``, the one the model's windows are laid by, so a
snapped clip is always a scored window (the last one included).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from model.clips.geometry import ClipGeometry


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
    geometry: ClipGeometry = ClipGeometry(),
    snap: bool = False,
) -> Clip:
    """The clip centred on ``t``; with ``snap`` the window of ``geometry`` nearest to it (so
    clips made by different clicks line up with the model's windows), else kept inside the
    recording."""
    clip = geometry.clip_seconds
    if duration <= clip:
        return Clip(0.0, _ms(max(duration, 0.0)))
    start = t - clip / 2
    if snap:
        start = geometry.snap(start, duration)
    else:
        start = min(max(start, 0.0), duration - clip)
    return Clip(_ms(start), _ms(start + clip))


class ClipSelection(QObject):
    """The selected clip of the shown recording; ``changed`` carries the Clip or None."""

    changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.duration = 0.0
        self.snap = False
        self.geometry = ClipGeometry()
        self._clip: Clip | None = None

    @property
    def clip(self) -> Clip | None:
        return self._clip

    @property
    def clip_seconds(self) -> float:
        return self.geometry.clip_seconds

    @property
    def step(self) -> float:
        """Arrow keys move by one clip, or by one hop (the next window) when snapping."""
        return self.geometry.hop_seconds if self.snap else self.geometry.clip_seconds

    def set_geometry(self, geometry: ClipGeometry) -> None:
        """The project's clip length and hop; the selection is dropped if its length changes."""
        if geometry != self.geometry:
            self.geometry = geometry
            self.clear()

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
        clip = clip_at(t, self.duration, geometry=self.geometry, snap=self.snap)
        self._set(clip)
        return clip

    def select_span(self, start: float, end: float) -> None:
        """Selects an existing label's span as is (labels imported from other tools may not
        be two seconds long)."""
        self._set(Clip(_ms(start), _ms(end)))

    def move(self, steps: int) -> Clip | None:
        """Moves by whole steps; from nothing, starts at 0.

        Going forward, the last stop is the first clip that reaches the end of the recording
        (it may run past it, like the model's last window): clamping it to end exactly at the
        end made it overlap the clip before, a sliver apart. Going back, a clip stops at 0.
        """
        if self.duration <= 0:
            return None
        if self._clip is None:
            return self.select_at(self.clip_seconds / 2)
        length = self._clip.end - self._clip.start
        start = self._clip.start + steps * self.step
        if self.snap and abs(length - self.clip_seconds) < 1e-6:
            start = self.geometry.snap(start, self.duration)  # the last window may run past
        elif steps > 0:
            # the last stop on this clip's own grid: the first that reaches the end
            reach = math.ceil((self.duration - self._clip.end) / self.step - 1e-9)
            start = self._clip.start + max(0, min(steps, reach)) * self.step
        else:
            start = max(start, 0.0)
        self._set(Clip(_ms(start), _ms(start + length)))
        return self._clip

    def _set(self, clip: Clip) -> None:
        if clip != self._clip:
            self._clip = clip
            self.changed.emit(clip)
