"""Point-and-click labelling: clip selection, label bands over the spectrogram, label keys."""

from __future__ import annotations

from app.labelling.controller import LabellingController
from app.labelling.overlay import LabelOverlay
from app.labelling.selection import Clip, ClipSelection, clip_at

__all__ = [
    "Clip",
    "ClipSelection",
    "LabelOverlay",
    "LabellingController",
    "clip_at",
]
