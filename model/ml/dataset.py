"""Labels -> training examples (clip windows with 1/0/unknown per class) and the held-out split.

Rules, chosen so corrections and negatives feed training directly:

- Each label yields clip windows: a short label one window centred on it, a long one several
  windows spread over it. Windows start no earlier than 0 s and no later than the scorer's last
  window (``ClipGeometry``: the first to reach the end, padded with silence past it), so at the
  end of a recording the model learns from the window it will score, not from one moved back
  inside the recording that it never scores (on short, pre-cut songs that was every file's last
  clip, and held-out AP fell from 0.77 in-process to 0.74 through ``sonotag predict``).
- For each window and class: a PRESENT label covering at least half of the call (or half the
  window, for long labels) makes it a positive; one that only grazes the window makes it
  unknown, so half a call is never taught as "absent". UNCERTAIN makes it unknown, ABSENT a
  negative. Precedence: present > unknown > absent.
- A class with no label on a window that has a PRESENT label is a negative there: labelling a
  clip "wren" says it is not a "robin". A window with only absent or uncertain labels says
  nothing about other classes (rejecting "wren" in review does not teach "robin is absent").
- How the labelled windows are split for evaluation lives in ``model.ml.splitting``.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from model.clips.geometry import DEFAULT_HOP_SECONDS, ClipGeometry
from model.project.records import Label, LabelClass, LabelState

POSITIVE, NEGATIVE, UNKNOWN = 1, 0, -1


@dataclass(frozen=True)
class Examples:
    recording_ids: np.ndarray  # (N,) int64
    starts: np.ndarray  # (N,) float64 seconds, rounded to the millisecond
    targets: np.ndarray  # (N, k) int8: 1, 0 or -1
    class_ids: tuple[int, ...]
    class_names: tuple[str, ...]
    clip_seconds: float

    def __len__(self) -> int:
        return len(self.starts)

    def subset(self, index: np.ndarray) -> Examples:
        return Examples(
            self.recording_ids[index],
            self.starts[index],
            self.targets[index],
            self.class_ids,
            self.class_names,
            self.clip_seconds,
        )

    def with_classes(self, columns: np.ndarray) -> Examples:
        """Only these classes (columns); windows left with no known target are dropped."""
        targets = self.targets[:, columns]
        keep = np.flatnonzero((targets >= 0).any(axis=1))
        return Examples(
            self.recording_ids[keep],
            self.starts[keep],
            targets[keep],
            tuple(self.class_ids[i] for i in columns),
            tuple(self.class_names[i] for i in columns),
            self.clip_seconds,
        )

    def label_counts(self) -> dict[str, dict[str, int]]:
        return {
            name: {
                "present": int((self.targets[:, i] == POSITIVE).sum()),
                "absent": int((self.targets[:, i] == NEGATIVE).sum()),
                "unknown": int((self.targets[:, i] == UNKNOWN).sum()),
            }
            for i, name in enumerate(self.class_names)
        }

    def by_recording(self) -> dict[int, np.ndarray]:
        """Indices of the examples of each recording (features are fetched per recording)."""
        order = np.argsort(self.recording_ids, kind="stable")
        rids, first = np.unique(self.recording_ids[order], return_index=True)
        return {int(rid): part for rid, part in zip(rids, np.split(order, first[1:]), strict=True)}


def label_windows(
    start: float, end: float, duration: float, clip: float, hop: float = DEFAULT_HOP_SECONDS
) -> list[float]:
    """Window starts covering one label, clamped to ``[0, last scored window's start]``."""
    return recording_windows([start], [end], duration, clip, hop).tolist()


def recording_windows(
    starts: Sequence[float],
    ends: Sequence[float],
    duration: float,
    clip: float,
    hop: float = DEFAULT_HOP_SECONDS,
) -> np.ndarray:
    """The sorted, distinct window starts covering labels of one recording (``label_windows``
    of each, at once: label by label it had taken 8 s of 300,000 labels)."""
    latest = ClipGeometry(clip, hop).last_start(duration)
    begin, end = np.asarray(starts, np.float64), np.asarray(ends, np.float64)
    short = end - begin <= clip
    parts = [(begin[short] + end[short]) / 2 - clip / 2]
    for first, last in zip(begin[~short].tolist(), end[~short].tolist(), strict=True):
        parts.append(np.linspace(first, last - clip, math.ceil((last - first) / clip)))
    windows = np.minimum(np.maximum(0.0, np.concatenate(parts)), latest)
    return np.unique(np.round(windows * 1000) / 1000 + 0.0)  # to the ms; + 0.0: no -0.0


def _state_value(label: Label, window_start: float, clip: float) -> int | None:
    overlap = min(label.end, window_start + clip) - max(label.start, window_start)
    if overlap <= 0:
        return None
    substantial = overlap >= 0.5 * min(max(label.end - label.start, 1e-3), clip)
    if label.state == LabelState.PRESENT:
        return POSITIVE if substantial else UNKNOWN
    if label.state == LabelState.UNCERTAIN:
        return UNKNOWN
    return NEGATIVE if substantial else None


_RANK = {POSITIVE: 3, UNKNOWN: 2, NEGATIVE: 1}


def build_examples(
    labels: Iterable[Label],
    classes: Sequence[LabelClass],
    durations: Mapping[int, float],
    clip_seconds: float,
    hop: float = DEFAULT_HOP_SECONDS,
) -> Examples:
    """All labelled windows with their targets; labels of unknown recordings are skipped.
    ``hop``: the scorer's (the project's ``ClipGeometry``), which places the last window.

    Rows come out ordered by recording, then window start.
    """
    column = {c.id: i for i, c in enumerate(classes)}
    per_recording: dict[int, list[Label]] = defaultdict(list)
    for label in labels:
        if label.class_id in column and label.recording_id in durations:
            per_recording[label.recording_id].append(label)
    rec_ids: list[np.ndarray] = []
    starts: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    for rid in sorted(per_recording):
        recording_labels = sorted(per_recording[rid], key=lambda lb: lb.start)
        ordered = recording_windows(
            [lb.start for lb in recording_labels], [lb.end for lb in recording_labels],
            durations[rid], clip_seconds, hop,
        ).tolist()  # fmt: skip
        rows.append(_targets(recording_labels, ordered, column, clip_seconds, len(classes)))
        starts.append(np.asarray(ordered, np.float64))
        rec_ids.append(np.full(len(ordered), rid, np.int64))
    k = len(classes)
    return Examples(
        np.concatenate(rec_ids) if rec_ids else np.zeros(0, np.int64),
        np.concatenate(starts) if starts else np.zeros(0, np.float64),
        np.concatenate(rows) if rows else np.zeros((0, k), np.int8),
        tuple(c.id for c in classes),
        tuple(c.name for c in classes),
        float(clip_seconds),
    )


def _targets(
    labels: Sequence[Label],
    windows: Sequence[float],
    column: Mapping[int, int],
    clip: float,
    k: int,
) -> np.ndarray:
    """Targets of one recording's windows in one sweep: labels (sorted by start) enter when
    they begin before a window ends and leave once they end before the next one starts, so
    each window sees only the labels that overlap it and the cost is linear in labels plus
    windows (a long label is seen by every window it covers, no more)."""
    targets = np.full((len(windows), k), NEGATIVE, np.int8)
    rank = np.zeros((len(windows), k), np.int8)
    active: list[tuple[float, int]] = []  # heap of (end, label index)
    following = 0
    for row, window in enumerate(windows):
        while following < len(labels) and labels[following].start < window + clip:
            heapq.heappush(active, (labels[following].end, following))
            following += 1
        while active and active[0][0] <= window:
            heapq.heappop(active)
        for _, index in active:
            label = labels[index]
            value = _state_value(label, window, clip)
            col = column[label.class_id]
            if value is not None and _RANK[value] > rank[row, col]:
                targets[row, col], rank[row, col] = value, _RANK[value]
    # A window with only "absent"/"uncertain" labels says nothing about the other classes.
    silent = ~(targets == POSITIVE).any(axis=1)[:, None] & (rank == 0)
    targets[silent] = UNKNOWN
    return targets
