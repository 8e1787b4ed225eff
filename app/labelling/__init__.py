"""Point-and-click labelling: clip selection, label bands over the spectrogram, label keys."""

from __future__ import annotations

from app.labelling.controller import LabellingController
from app.labelling.overlay import LabelOverlay
from app.labelling.selection import CLIP_SECONDS, GRID_SECONDS, Clip, ClipSelection, clip_at

__all__ = [
    "CLIP_SECONDS",
    "GRID_SECONDS",
    "Clip",
    "ClipSelection",
    "LabelOverlay",
    "LabellingController",
    "clip_at",
]
