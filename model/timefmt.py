"""Durations as people read them on a clock face: ``m:ss``, or ``h:mm:ss`` past an hour.

Progress bars, ETAs, recording lengths and training times all print durations; one function
keeps them alike in the CLI and the GUI.
"""

from __future__ import annotations


def format_clock(seconds: float) -> str:
    """75.4 -> ``1:15``; 3725 -> ``1:02:05`` (rounded to the second, never negative)."""
    minutes, secs = divmod(max(0, int(round(seconds))), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
