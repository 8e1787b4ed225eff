"""Where the name tags of labels go: grouping by clip, tag rows, and runs at low zoom.

Kept apart from the painting (``overlay.py``) so the rules can be tested without pixels:

- labels of one clip (same start and end) share one tag: a colour chip per class ("+N" for
  those that do not fit) and the first class's name, so ten classes on a clip take one tag,
  not ten stacked rows;
- tags of overlapping clips go in rows (the lowest row free at the clip's start), at most
  ``MAX_ROWS`` of them; the label lanes under the spectrogram hold whatever does not fit;
- a tag narrower than ``MIN_TAG_PX`` is never drawn as a sliver: neighbouring narrow clips
  are merged into one run ("37 labels") drawn once, so the whole file at a glance shows where
  the labels are and how many, not a comb of "G…".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from model.project.records import LabelState

#: Rows of tags at the top of the spectrogram; more would cover the calls under them.
MAX_ROWS = 3
#: A clip narrower than this (pixels) joins a run instead of getting its own tag.
MIN_TAG_PX = 22.0
#: Narrow clips closer than this (pixels) join the same run.
RUN_GAP_PX = 3.0


class Span(Protocol):
    """What a tag needs of a label (clip labels today; any time span of a class)."""

    start: float
    end: float
    class_id: int
    state: LabelState


@dataclass(frozen=True)
class ClipGroup:
    """The labels that share one span, in class order."""

    start: float
    end: float
    labels: tuple[Span, ...]


def group_by_clip(labels: Iterable[Span], position: dict[int, int]) -> list[ClipGroup]:
    """One group per distinct span, sorted by start; labels in a group by class position."""
    spans: dict[tuple[float, float], list[Span]] = {}
    for label in labels:
        spans.setdefault((round(label.start, 3), round(label.end, 3)), []).append(label)
    groups = [
        ClipGroup(
            min(la.start for la in members),
            max(la.end for la in members),
            tuple(sorted(members, key=lambda la: (position.get(la.class_id, 0), la.class_id))),
        )
        for members in spans.values()
    ]
    groups.sort(key=lambda g: (g.start, g.end))
    return groups


def rows_of(groups: Sequence[ClipGroup]) -> list[int]:
    """Row of each group's tag (groups sorted by start): the lowest row free at its start,
    so tags of overlapping clips never cover each other."""
    ends: list[float] = []
    rows = []
    for group in groups:
        for row, end in enumerate(ends):
            if end <= group.start + 1e-6:
                ends[row] = group.end
                rows.append(row)
                break
        else:
            ends.append(group.end)
            rows.append(len(ends) - 1)
    return rows


def run_bounds(x0: np.ndarray, x1: np.ndarray) -> list[tuple[int, int]]:
    """``[first, last)`` of each run of narrow clips whose pixel extents (sorted by ``x0``)
    touch or nearly touch. On arrays: the whole file of a long recording is thousands of
    narrow clips a paint."""
    if len(x0) == 0:
        return []
    reach = np.maximum.accumulate(x1)
    breaks = (np.flatnonzero(x0[1:] > reach[:-1] + RUN_GAP_PX) + 1).tolist()
    edges = [0, *breaks, len(x0)]
    return list(zip(edges[:-1], edges[1:], strict=True))


def stripe_segments(
    x0: np.ndarray, x1: np.ndarray, classes: np.ndarray
) -> list[tuple[float, float, int]]:
    """A run's colour stripe as (left, right, class) pieces, at most one a pixel column: in
    each column the clip starting last wins (as if each were drawn over the one before), and
    neighbours of one class become one piece, so a paint draws at most a few hundred
    rectangles, not one per clip."""
    if len(x0) == 0:
        return []
    columns = np.floor(x0).astype(np.int64)
    _, first_reversed = np.unique(columns[::-1], return_index=True)
    keep = len(columns) - 1 - first_reversed  # last clip of each column, columns ascending
    lefts = columns[keep].astype(np.float64)
    following = np.append(lefts[1:], np.inf)
    rights = np.minimum(np.maximum(x1[keep], lefts + 1.0), following)
    pieces: list[tuple[float, float, int]] = []
    for left, right, cls in zip(
        lefts.tolist(), rights.tolist(), classes[keep].tolist(), strict=True
    ):
        if pieces and pieces[-1][2] == cls and pieces[-1][1] >= left:
            pieces[-1] = (pieces[-1][0], right, cls)
        else:
            pieces.append((left, right, cls))
    return pieces


def tag_text(name: str, state: LabelState) -> str:
    """The name with "?" (uncertain) or "✗" (absent: a ballot X, "not this") before it."""
    glyph = _GLYPHS.get(state)
    return f"{glyph} {name}" if glyph else name


def describe(group: ClipGroup, name_of: Callable[[int], str]) -> str:
    """Every label of a clip in words, for the tag's tooltip."""
    lines = [f"{group.start:.2f}–{group.end:.2f} s"]
    lines += [f"{name_of(la.class_id)}: {la.state.value}" for la in group.labels]
    return "\n".join(lines)


_GLYPHS = {LabelState.UNCERTAIN: "?", LabelState.ABSENT: "\u2717"}


def fit_tag_text(
    name: str, state: LabelState, room: float, elide: Callable[[str, float], str]
) -> str:
    """What a tag ``room`` pixels wide says: the name with its state mark, shortened to at
    least three letters of the name; else the state mark alone ("✗" still says "not this",
    the tag's colour says which class); else nothing."""
    if room <= 0:
        return ""
    full = tag_text(name, state)
    shown = elide(full, room)
    glyph = _GLYPHS.get(state, "")
    prefix = f"{glyph} " if glyph else ""
    if shown.startswith(prefix) and readable(shown[len(prefix) :], name):
        return shown
    return glyph if glyph and elide(glyph, room) == glyph else ""


def readable(elided: str, full: str) -> bool:
    """Whether an elided name says something: the whole name, or at least three letters
    before the ellipsis ("Gre…"), never "G…" or "…"."""
    if elided == full:
        return True
    return len(elided.rstrip("\u2026").strip()) >= 3
