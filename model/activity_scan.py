"""Detections in a chunk of scores (many recordings, one array): numpy over the chunk.

Same rule as ``activity.detection_events`` for one recording and one class: a detection is a
run of consecutive windows (in time order, within one recording) at or above the threshold
whose windows overlap or touch; a low window, a gap or another recording starts a new run.
"""

from __future__ import annotations

import numpy as np

from model.project.score_index import ScoreChunk

TOUCH = 1e-3  # windows this close (s) still belong to one detection


def in_time_order(chunk: ScoreChunk) -> ScoreChunk:
    """The chunk with each recording's windows sorted by start (they are stored that way,
    so this is usually a check)."""
    same = chunk.recording_ids[1:] == chunk.recording_ids[:-1]
    if not (same & (chunk.starts[1:] < chunk.starts[:-1])).any():
        return chunk
    order = np.lexsort((chunk.starts, chunk.recording_ids))  # stable: ties keep stored order
    return ScoreChunk(
        chunk.class_ids, chunk.recording_ids[order], chunk.starts[order], chunk.scores[order]
    )


def _joined(chunk: ScoreChunk, clip: float) -> np.ndarray:
    """Whether each window continues the run of the window before it (same recording,
    overlapping or touching), should both be high."""
    joined = np.zeros(len(chunk), bool)
    joined[1:] = (chunk.recording_ids[1:] == chunk.recording_ids[:-1]) & (
        chunk.starts[1:] <= chunk.starts[:-1] + clip + TOUCH
    )
    return joined


def float32_limits(limits: np.ndarray) -> np.ndarray:
    """The smallest float32 at or above each limit: a float32 score reaches the float64 limit
    exactly when it reaches this, so the comparison runs in float32 (half the memory traffic)
    and still says what a float64 comparison says."""
    low = limits.astype(np.float32)
    return np.where(low.astype(np.float64) < limits, np.nextafter(low, np.float32(np.inf)), low)


def run_starts(chunk: ScoreChunk, limits: np.ndarray, clip: float) -> tuple[np.ndarray, np.ndarray]:
    """(window index, column) of the first window of every detection in the chunk; ``limits``
    (float64, per column) are compared as float64 would, and NaN is never high."""
    high = chunk.scores >= float32_limits(limits)
    first = high.copy()
    first[1:] &= ~(high[:-1] & _joined(chunk, clip)[1:, None])
    flat = np.flatnonzero(first)  # one pass, far cheaper than nonzero's (row, column) pairs
    return np.divmod(flat, first.shape[1])


def run_events(
    chunk: ScoreChunk, column: int, limit: float, clip: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(recording id, start, end, peak score) of each detection of one column."""
    scores = chunk.scores[:, column].astype(np.float64)
    index = np.flatnonzero(scores >= limit)
    if not len(index):
        empty = np.zeros(0)
        return empty.astype(np.int64), empty, empty, empty
    new = np.ones(len(index), bool)
    new[1:] = (index[1:] != index[:-1] + 1) | ~_joined(chunk, clip)[index[1:]]
    first = np.flatnonzero(new)
    begin = chunk.starts[index]
    ends = np.maximum.reduceat(begin + clip, first)
    peaks = np.maximum.reduceat(scores[index], first)
    return chunk.recording_ids[index[first]], begin[first], ends, peaks
