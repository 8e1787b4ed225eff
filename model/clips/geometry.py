"""Where clips lie on a recording: their length, the hop between them and the last one.

Selection in the GUI, score tracks, review, the model's windows (``window_starts``), the label
import and training all ask this one object, so a clip a person selects is exactly a window the
model scored. They used to keep their own copies (2.0 s written in five places, and snapping
rounded the last start down while the windows rounded it up, so the last scored window could
not be selected).

The clip length is the project's clip-image setting (``ClipSettings.clip_seconds``: the images
a model sees); the hop is a project setting of its own (meta ``clip_hop``), kept out of
``ClipSettings`` because it does not change a single pixel of any image, and so must not change
the settings' fingerprint that models and cached features are matched by.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.clips.settings import ClipSettings

DEFAULT_CLIP_SECONDS = ClipSettings.clip_seconds
DEFAULT_HOP_SECONDS = 1.0
HOP_META = "clip_hop"
#: Float error allowed when deciding whether a hop lands exactly on the end of a recording.
_EPS = 1e-9


@dataclass(frozen=True)
class ClipGeometry:
    clip_seconds: float = DEFAULT_CLIP_SECONDS
    hop_seconds: float = DEFAULT_HOP_SECONDS

    def __post_init__(self) -> None:
        for name in ("clip_seconds", "hop_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number, got {value!r}")
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
            object.__setattr__(self, name, float(value))

    def last_index(self, duration: float) -> int:
        """Index of the last window: the first one that reaches the end. The end is always
        covered (that window may run past it, padded with silence) without adding windows that
        would be mostly padding; a recording shorter than a clip has one window."""
        if not math.isfinite(duration) or duration < 0:
            raise ValueError(f"duration must be a finite number >= 0, got {duration!r}")
        return max(0, math.ceil((duration - self.clip_seconds) / self.hop_seconds - _EPS))

    def starts(self, duration: float) -> np.ndarray:
        """Start times (s) of the windows that tile a recording: 0, hop, 2*hop, ..."""
        return np.arange(self.last_index(duration) + 1, dtype=np.float64) * self.hop_seconds

    def last_start(self, duration: float) -> float:
        return self.last_index(duration) * self.hop_seconds

    def snap(self, start: float, duration: float) -> float:
        """The window start nearest ``start``: one of ``starts(duration)``."""
        index = math.floor(start / self.hop_seconds + 0.5)
        return min(max(index, 0), self.last_index(duration)) * self.hop_seconds


def geometry_of(project: Any) -> ClipGeometry:
    """The project's geometry: clip length from its clip settings, hop from its meta table."""
    from model.ml.features import clip_settings_of

    clip = clip_settings_of(project).clip_seconds
    text = project.get_meta(HOP_META) if hasattr(project, "get_meta") else None
    try:
        return ClipGeometry(clip, float(text)) if text else ClipGeometry(clip)
    except ValueError:  # a hand-edited meta value: the default rather than a broken project
        return ClipGeometry(clip)


def set_hop(project: Any, hop_seconds: float) -> ClipGeometry:
    """Stores the project's hop (validated); returns the new geometry."""
    geometry = ClipGeometry(geometry_of(project).clip_seconds, hop_seconds)
    project.set_meta(HOP_META, repr(geometry.hop_seconds))
    return geometry
