"""The scrolling spectrogram widget, its overview strip and its control bar."""

from __future__ import annotations

from app.spectrogram.controls import SpectrogramControls
from app.spectrogram.view import SpectrogramView

__all__ = ["SpectrogramControls", "SpectrogramView"]
