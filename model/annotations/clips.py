"""How an imported time span becomes two-second clip labels (this text is shown to users).

Sonotag labels fixed-length clips, while Raven, Audacity and the other tools mark free spans.
An imported span is turned into clip labels by one rule:

1. Candidate clips start on a grid: 0 s, 1 s, 2 s, ... (the project's hop, 1 s by default) and
   last the clip length (2 s by default). They are the windows the classifier scores
   (``ClipGeometry``, the same rule as selection and scoring): the last one may run
   past the end of the recording (it is padded with silence) so the end is always covered, and
   a recording shorter than one clip has the single clip that starts at 0 s.
2. The span is first cut to the recording (a span running past the end keeps its inside part).
3. A clip gets the span's class when the two overlap by at least *min_overlap* (50 % by default)
   of the shorter of the two: of the span when the span is shorter than a clip, so a short
   call inside a clip counts; of the clip when the span is longer, so a long span labels every
   clip it mostly covers.
4. A span of zero length (a point marked in time) labels the clips that contain that point.
5. A span that is exactly one candidate clip (as Sonotag exports its labels) labels that clip
   only, so exported labels come back unchanged.

A span that ends before 0 s, starts after the end of the recording, or meets no clip by the
required overlap is not imported; it is listed with its reason.
"""

from __future__ import annotations

import math
from functools import lru_cache

from model.clips.geometry import DEFAULT_CLIP_SECONDS, DEFAULT_HOP_SECONDS

#: Slack for float rounding: spans and clips are compared to well under a millisecond.
_EPS = 1e-6


def clip_starts(
    duration: float,
    clip_seconds: float = DEFAULT_CLIP_SECONDS,
    grid: float = DEFAULT_HOP_SECONDS,
) -> list[float]:
    """Start times of the candidate clips of a recording (rule 1), rounded to the millisecond."""
    _check(clip_seconds, grid)
    return [round(k * grid, 3) for k in range(_last_index(duration, clip_seconds, grid) + 1)]


def clips_for_span(
    start: float,
    end: float,
    duration: float,
    *,
    clip_seconds: float = DEFAULT_CLIP_SECONDS,
    grid: float = DEFAULT_HOP_SECONDS,
    min_overlap: float = 0.5,
) -> list[tuple[float, float]]:
    """The (start, end) of each clip the span labels under the rule above; [] if none."""
    _check(clip_seconds, grid)
    if not 0.0 < min_overlap <= 1.0:
        raise ValueError(f"min_overlap must be in (0, 1], got {min_overlap}")
    s, e = max(start, 0.0), min(end, duration)
    if e < s or s >= duration or (e - s <= _EPS < end - start):
        return []  # outside, or only touching the recording's edge
    last = _last_index(duration, clip_seconds, grid)
    k = round(start / grid)
    if abs(start - k * grid) <= _EPS and abs(end - start - clip_seconds) <= _EPS and k <= last:
        return [(round(k * grid, 3), round(k * grid + clip_seconds, 3))]  # rule 5
    first_k = max(0, math.floor((s - clip_seconds) / grid))
    last_k = min(last, math.ceil(e / grid))
    out = []
    for k in range(first_k, last_k + 1):
        c0 = k * grid
        if _labels(s, e, c0, clip_seconds, min_overlap):
            out.append((round(c0, 3), round(c0 + clip_seconds, 3)))
    return out


def _labels(s: float, e: float, c0: float, clip: float, min_overlap: float) -> bool:
    c1 = c0 + clip
    if e - s <= _EPS:  # a point in time: the clips that contain it
        return c0 - _EPS <= s < c1 - _EPS
    overlap = min(e, c1) - max(s, c0)
    return overlap > _EPS and overlap >= min_overlap * min(e - s, clip) - _EPS


@lru_cache(maxsize=256)
def _last_index(duration: float, clip_seconds: float, grid: float) -> int:
    """Index of the last candidate clip: the grid as ``model.clips.window_starts`` lays it."""
    from model.clips import window_starts

    return len(window_starts(duration, clip_seconds, grid)) - 1


def _check(clip_seconds: float, grid: float) -> None:
    if not clip_seconds > 0 or not grid > 0:
        raise ValueError(f"clip length and grid must be positive, got {clip_seconds}, {grid}")
