"""Colours that read over any colour map: the label tags', lanes' and their halos'."""

from __future__ import annotations

from PySide6.QtGui import QColor


def _luminance(colour: QColor) -> float:
    return 0.299 * colour.red() + 0.587 * colour.green() + 0.114 * colour.blue()


def readable_on(colour: QColor) -> QColor:
    """Black or white text, whichever reads on ``colour``."""
    return QColor("black") if _luminance(colour) > 150 else QColor("white")


def halo_colour(colour: QColor) -> QColor:
    """Black around light class colours, white around dark ones: the pair always contrasts,
    whatever the spectrogram shows beneath."""
    return QColor(0, 0, 0, 190) if _luminance(colour) > 140 else QColor(255, 255, 255, 170)


def on_dark(colour: QColor) -> QColor:
    """The class colour lightened until it reads on a dark tag."""
    light = QColor(colour)
    for _ in range(8):
        if _luminance(light) >= 150:
            break
        light = QColor(
            (light.red() + 255) // 2, (light.green() + 255) // 2, (light.blue() + 255) // 2
        )
    return light
