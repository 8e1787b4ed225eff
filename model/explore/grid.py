"""Which clips the explorer maps: the windows the project's models score.

The same grid as scores (``model.clips.geometry``: the project's clip length and hop), so a
point on the map is a clip a person can select, label and review, its top score is read
straight from the stored predictions, and features computed for scoring serve the map too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.clips.geometry import ClipGeometry, geometry_of
from model.project.records import Recording


@dataclass(frozen=True)
class ClipGrid:
    """Clips as parallel arrays, in recording order then time: (recording id, start)."""

    recording_ids: np.ndarray  # int64
    starts: np.ndarray  # float64 seconds, rounded to the millisecond
    clip_seconds: float

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def ends(self) -> np.ndarray:
        return np.round((self.starts + self.clip_seconds) * 1000) / 1000

    def by_recording(self) -> dict[int, np.ndarray]:
        """Row positions of each recording's clips."""
        if not len(self):
            return {}
        bounds = np.flatnonzero(np.diff(self.recording_ids)) + 1
        firsts = np.r_[0, bounds]
        stops = np.r_[bounds, len(self)]
        return {
            int(self.recording_ids[a]): np.arange(a, b) for a, b in zip(firsts, stops, strict=True)
        }

    def keys(self) -> np.ndarray:
        """One int64 per clip (recording id and start in ms), for matching clips by value."""
        return clip_keys(self.recording_ids, self.starts)


def clip_keys(recording_ids: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Recording id in the high bits, start in ms in the low 40 bits (35 years of audio)."""
    ms = np.round(np.asarray(starts, np.float64) * 1000).astype(np.int64)
    return (np.asarray(recording_ids, np.int64) << 40) | ms


def grid_of(recordings: Sequence[Recording], geometry: ClipGeometry) -> ClipGrid:
    """Every window of these recordings (sorted by id), each recording tiled to its end."""
    ids: list[np.ndarray] = []
    starts: list[np.ndarray] = []
    for recording in sorted(recordings, key=lambda r: r.id):
        windows = np.round(geometry.starts(recording.duration) * 1000) / 1000
        ids.append(np.full(len(windows), recording.id, np.int64))
        starts.append(windows)
    return ClipGrid(
        np.concatenate(ids) if ids else np.zeros(0, np.int64),
        np.concatenate(starts) if starts else np.zeros(0, np.float64),
        geometry.clip_seconds,
    )


def project_grid(project: Any, recording_ids: Sequence[int] | None = None) -> ClipGrid:
    """The project's clips (or those of some recordings) on its own geometry."""
    recordings = project.recordings()
    if recording_ids is not None:
        wanted = set(int(r) for r in recording_ids)
        recordings = [r for r in recordings if r.id in wanted]
    return grid_of(recordings, geometry_of(project))
