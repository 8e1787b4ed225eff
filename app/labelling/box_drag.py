"""What a mouse drag does to a box: draw, move or resize, in plain arithmetic (no Qt).

Coordinates are seconds and Hz; tolerances come in as "one pixel" in each unit so that grabbing
an edge feels the same at every zoom. Everything is kept inside the recording (0 to its
duration, 0 Hz to half the sample rate); a move keeps the box's size, a resize past the
opposite edge flips the box rather than making it negative.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from app.labelling.boxes import BoxRect

#: How close (pixels) the pointer must be to an edge of the selected box to grab it.
GRAB_PX = 6.0
#: Smaller than this (pixels, either way) a drawn box is taken for a slip of the hand.
MIN_BOX_PX = 4.0


class Mode(StrEnum):
    DRAW = "draw"
    MOVE = "move"
    RESIZE = "resize"


@dataclass(frozen=True)
class Limits:
    duration: float
    nyquist: float
    px_s: float  # seconds per pixel
    px_hz: float  # Hz per pixel

    def clamp_t(self, t: float) -> float:
        return min(max(t, 0.0), self.duration)

    def clamp_f(self, f: float) -> float:
        return min(max(f, 0.0), self.nyquist)


def grab(rect: BoxRect, t: float, f: float, limits: Limits) -> tuple[Mode, frozenset[str]] | None:
    """Which edges (``start``, ``end``, ``low``, ``high``) the pointer grabs, or a move from
    inside, or None when the point is off the box."""
    tol_t, tol_f = GRAB_PX * limits.px_s, GRAB_PX * limits.px_hz
    inside_t = rect.start - tol_t <= t <= rect.end + tol_t
    inside_f = rect.low_hz - tol_f <= f <= rect.high_hz + tol_f
    if not (inside_t and inside_f):
        return None
    edges: set[str] = set()
    d_start, d_end = abs(t - rect.start), abs(t - rect.end)
    if min(d_start, d_end) <= tol_t:
        edges.add("start" if d_start <= d_end else "end")
    d_low, d_high = abs(f - rect.low_hz), abs(f - rect.high_hz)
    if min(d_low, d_high) <= tol_f:
        edges.add("low" if d_low <= d_high else "high")
    if edges:
        return Mode.RESIZE, frozenset(edges)
    return Mode.MOVE, frozenset()


def dragged(
    mode: Mode,
    original: BoxRect,
    edges: frozenset[str],
    anchor: tuple[float, float],
    now: tuple[float, float],
    limits: Limits,
) -> BoxRect:
    """The box as the pointer has it now, from where the drag began (``anchor``)."""
    t, f = limits.clamp_t(now[0]), limits.clamp_f(now[1])
    if mode is Mode.DRAW:
        return BoxRect.spanning(anchor[0], anchor[1], t, f)
    if mode is Mode.MOVE:
        width, height = original.end - original.start, original.high_hz - original.low_hz
        start = min(max(original.start + now[0] - anchor[0], 0.0), limits.duration - width)
        low = min(max(original.low_hz + now[1] - anchor[1], 0.0), limits.nyquist - height)
        return BoxRect(
            max(start, 0.0), max(start, 0.0) + width, max(low, 0.0), max(low, 0.0) + height
        )
    changed = {"start": original.start, "end": original.end}
    changed.update(low=original.low_hz, high=original.high_hz)
    for edge in edges:
        changed[edge] = t if edge in ("start", "end") else f
    return BoxRect.spanning(changed["start"], changed["low"], changed["end"], changed["high"])


def big_enough(rect: BoxRect, limits: Limits) -> bool:
    wide = rect.end - rect.start >= MIN_BOX_PX * limits.px_s
    tall = rect.high_hz - rect.low_hz >= MIN_BOX_PX * limits.px_hz
    return wide and tall


def rounded(rect: BoxRect) -> BoxRect:
    """To 0.1 ms and 0.1 Hz: finer than a pixel at any zoom, and tables stay readable."""
    return replace(
        rect,
        start=round(rect.start, 4),
        end=round(rect.end, 4),
        low_hz=round(rect.low_hz, 1),
        high_hz=round(rect.high_hz, 1),
    )
