"""Labels -> training examples (clip windows with 1/0/unknown per class) and the held-out split.

Rules, chosen so corrections and negatives feed training directly:

- Each label yields clip windows: a short label one window centred on it, a long one several
  windows spread over it. Windows are clamped inside the recording.
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

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

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
        groups: dict[int, list[int]] = defaultdict(list)
        for i, rid in enumerate(self.recording_ids.tolist()):
            groups[rid].append(i)
        return {rid: np.asarray(ix) for rid, ix in groups.items()}


def _ms(seconds: float) -> float:
    return round(seconds * 1000) / 1000


def label_windows(start: float, end: float, duration: float, clip: float) -> list[float]:
    """Window starts covering one label, clamped to ``[0, duration - clip]``."""
    latest = max(0.0, duration - clip)
    length = end - start
    if length <= clip:
        starts = [(start + end) / 2 - clip / 2]
    else:
        count = math.ceil(length / clip)
        starts = list(np.linspace(start, end - clip, count))
    return sorted({_ms(min(max(0.0, s), latest)) for s in starts})


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
) -> Examples:
    """All labelled windows with their targets; labels of unknown recordings are skipped."""
    column = {c.id: i for i, c in enumerate(classes)}
    per_recording: dict[int, list[Label]] = defaultdict(list)
    for label in labels:
        if label.class_id in column and label.recording_id in durations:
            per_recording[label.recording_id].append(label)
    rec_ids: list[int] = []
    starts: list[float] = []
    rows: list[np.ndarray] = []
    for rid in sorted(per_recording):
        recording_labels = sorted(per_recording[rid], key=lambda lb: lb.start)
        windows: set[float] = set()
        for label in recording_labels:
            windows.update(label_windows(label.start, label.end, durations[rid], clip_seconds))
        for window in sorted(windows):
            row = np.full(len(classes), NEGATIVE, np.int8)
            rank = np.zeros(len(classes), np.int8)
            for label in recording_labels:
                if label.start >= window + clip_seconds:
                    break
                value = _state_value(label, window, clip_seconds)
                col = column[label.class_id]
                if value is not None and _RANK[value] > rank[col]:
                    row[col], rank[col] = value, _RANK[value]
            if not (row == POSITIVE).any():
                # Only "absent"/"uncertain" here: says nothing about the other classes.
                row[rank == 0] = UNKNOWN
            rec_ids.append(rid)
            starts.append(window)
            rows.append(row)
    return Examples(
        np.asarray(rec_ids, np.int64),
        np.asarray(starts, np.float64),
        np.asarray(rows, np.int8).reshape(len(rows), len(classes)),
        tuple(c.id for c in classes),
        tuple(c.name for c in classes),
        float(clip_seconds),
    )
